using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace SteerLM.Npc.Training.Corpus.Sources
{
    /// <summary>
    /// Debian's <c>fortunes</c> and <c>fortunes-min</c>: jokes, quotations and one-liners in
    /// <c>usr/share/games/fortunes/*</c>, one fortune after another, separated by lines holding only <c>%</c>.
    /// Each fortune becomes one line. The <c>.dat</c> indexes and the <c>.u8</c> links to the same files are skipped,
    /// and so is <c>ascii-art</c> (pictures, not language).
    /// </summary>
    internal sealed class FortunesSource : CorpusSource
    {
        private const string FortuneFolder = "usr/share/games/fortunes";
        private static readonly HashSet<string> SkippedFiles = new HashSet<string>(StringComparer.Ordinal) { "ascii-art" };

        public override string Name => "fortunes";

        public override string Description => "Debian fortunes + fortunes-min: jokes, quotations, one-liners";

        public override IReadOnlyList<PackageSpec> Packages { get; } = new[]
        {
            new PackageSpec("fortunes", PackageKind.Debian),
            new PackageSpec("fortunes-min", PackageKind.Debian),
        };

        public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
        {
            foreach (var package in packages)
            {
                var folder = Path.Combine(package.Root, FortuneFolder);
                if (!Directory.Exists(folder))
                {
                    throw new InvalidDataException($"{package.Name}: no {FortuneFolder} folder in the package.");
                }

                var files = new DirectoryInfo(folder).EnumerateFiles()
                    .Where(f => f.LinkTarget == null && f.Extension.Length == 0 && !SkippedFiles.Contains(f.Name))
                    .OrderBy(f => f.Name, StringComparer.Ordinal);
                foreach (var file in files)
                {
                    output.AddLines(package.Name, SplitFortunes(output.ReadFile(package, file.FullName)));
                }
            }
        }

        /// <summary>The fortunes of one fortune file, each cleaned to one line; empty ones are left out.</summary>
        public static IEnumerable<string> SplitFortunes(string fileText)
        {
            var current = new StringBuilder();
            foreach (var line in fileText.Split('\n'))
            {
                if (line.TrimEnd() == "%")
                {
                    var fortune = TextCleaner.Normalize(current.ToString());
                    current.Clear();
                    if (fortune.Length > 0)
                    {
                        yield return fortune;
                    }

                    continue;
                }

                current.Append(line).Append('\n');
            }

            var last = TextCleaner.Normalize(current.ToString());
            if (last.Length > 0)
            {
                yield return last;
            }
        }
    }
}
