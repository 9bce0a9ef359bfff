using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SteerLM.Npc.Worker.Tokenization;

namespace SteerLM.Npc.Training.Core
{
    /// <summary>
    /// Turns the corpus stage's text files into token streams for pretraining: every line is one document, encoded
    /// without BOS and followed by EOS. Every 100th line goes to the validation stream (a fixed split). Written once to
    /// <c>train.bin</c> / <c>val.bin</c> (uint16) and reused while the inputs and the tokenizer are unchanged.
    /// </summary>
    public static class TokenizedCorpus
    {
        /// <summary>Encodes the text files (or reuses the cached streams) and returns (train, validation).</summary>
        public static (TokenStream Train, TokenStream Validation, string Summary) Build(
            IReadOnlyList<string> textFiles, NpcTokenizer tokenizer, string tokenizerPath, string cacheDir, TextWriter log)
        {
            if (textFiles.Count == 0)
            {
                throw new InvalidOperationException("No corpus text files were found; run the corpus stage first.");
            }

            Directory.CreateDirectory(cacheDir);
            var stamp = string.Join("\n", textFiles.OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}"))
                + $"\ntokenizer {new FileInfo(tokenizerPath).Length} {File.GetLastWriteTimeUtc(tokenizerPath).Ticks}";
            var stampPath = Path.Combine(cacheDir, "tokens.stamp");
            var trainPath = Path.Combine(cacheDir, "train.bin");
            var validationPath = Path.Combine(cacheDir, "val.bin");
            if (File.Exists(stampPath) && File.ReadAllText(stampPath) == stamp && File.Exists(trainPath) && File.Exists(validationPath))
            {
                log.WriteLine($"reusing token streams in {cacheDir}");
            }
            else
            {
                var train = new List<int>();
                var validation = new List<int>();
                var lineNumber = 0L;
                foreach (var file in textFiles.OrderBy(f => f, StringComparer.Ordinal))
                {
                    var before = train.Count + validation.Count;
                    foreach (var line in File.ReadLines(file))
                    {
                        if (line.Length == 0)
                        {
                            continue;
                        }

                        var target = lineNumber++ % 100 == 99 ? validation : train;
                        target.AddRange(tokenizer.Encode(line, addBos: false, parseControlTokens: false));
                        target.Add(tokenizer.EosId);
                    }

                    log.WriteLine($"  {Path.GetFileName(file),-28} {train.Count + validation.Count - before,10:N0} tokens");
                }

                TokenStream.Save(trainPath, train);
                TokenStream.Save(validationPath, validation);
                File.WriteAllText(stampPath, stamp);
            }

            var trainStream = TokenStream.Load(trainPath);
            var validationStream = TokenStream.Load(validationPath);
            return (trainStream, validationStream, $"{trainStream.TokenCount:N0} training tokens, {validationStream.TokenCount:N0} validation tokens");
        }
    }
}
