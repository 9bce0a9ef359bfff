using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// Runs sources one after another into a cache folder: fetch, extract, clean, deduplicate, write
    /// <c>text/SOURCE.txt</c>, <c>dialogue/SOURCE.jsonl</c> and <c>provenance.json</c>. A source that fails is
    /// reported (with the command that failed) and the others go on.
    /// </summary>
    internal sealed class CorpusBuilder
    {
        private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        private readonly string _cacheDirectory;
        private readonly PackageFetcher _fetcher;
        private readonly TextWriter _log;
        private readonly long? _maxWordsPerSource;

        public CorpusBuilder(string cacheDirectory, IProcessRunner runner, TextWriter log, long? maxWordsPerSource)
        {
            _cacheDirectory = Path.GetFullPath(cacheDirectory);
            _fetcher = new PackageFetcher(_cacheDirectory, runner, log);
            _log = log;
            _maxWordsPerSource = maxWordsPerSource;
        }

        /// <summary>Runs <paramref name="sources"/> and updates <c>provenance.json</c>; returns one entry per source.</summary>
        public List<SourceProvenance> Run(IReadOnlyList<CorpusSource> sources, DateTimeOffset now)
        {
            var date = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            Directory.CreateDirectory(_cacheDirectory);
            var results = new List<SourceProvenance>();
            foreach (var source in sources)
            {
                _log.WriteLine($"== {source.Name}");
                var result = RunSource(source, date);
                if (result.Status == SourceProvenance.Failed)
                {
                    _log.WriteLine($"  FAILED: {result.Error}");
                    if (result.FailedCommand != null)
                    {
                        _log.WriteLine($"  command: {result.FailedCommand}");
                    }
                }

                results.Add(result);
            }

            var provenancePath = Path.Combine(_cacheDirectory, "provenance.json");
            var existing = File.Exists(provenancePath) ? File.ReadAllText(provenancePath) : null;
            WriteAtomically(provenancePath, ProvenanceFile.Merge(existing, results, date));
            return results;
        }

        private SourceProvenance RunSource(CorpusSource source, string date)
        {
            var textPath = Path.Combine(_cacheDirectory, "text", source.Name + ".txt");
            var dialoguePath = Path.Combine(_cacheDirectory, "dialogue", source.Name + ".jsonl");
            var unavailable = new List<UnavailablePackage>();
            try
            {
                var fetched = new List<FetchedPackage>();
                foreach (var spec in source.Packages)
                {
                    try
                    {
                        fetched.Add(_fetcher.Fetch(spec));
                    }
                    catch (CorpusException e) when (spec.Optional)
                    {
                        _log.WriteLine($"  {spec.Name}: skipped, {e.Message}");
                        unavailable.Add(new UnavailablePackage(spec.Name, e.Message, e.Command));
                    }
                }

                if (fetched.Count == 0)
                {
                    throw new CorpusException("none of the source's packages could be fetched.", unavailable.FirstOrDefault()?.Command);
                }

                var output = new SourceOutput();
                source.Extract(fetched, output);
                var perPackage = fetched.ToDictionary(p => p.Name, _ => new Counts(), StringComparer.Ordinal);
                var text = WriteText(output, textPath, perPackage);
                var dialogue = WriteDialogue(source.Name, output, dialoguePath, perPackage);
                var packages = fetched.Select(p => Describe(p, output, perPackage[p.Name])).ToList();
                _log.WriteLine($"  wrote {text.Lines} lines, {text.Words} words" + (dialogue == null ? string.Empty : $", {dialogue.Pairs} dialogue pairs"));
                return new SourceProvenance(source.Name, SourceProvenance.Ok, date, !source.IncludedByDefault, source.Note, packages, unavailable, text, dialogue, null, null);
            }
            catch (Exception e) when (e is CorpusException || e is IOException || e is InvalidDataException || e is JsonException || e is UnauthorizedAccessException)
            {
                // Nothing half-made is left behind under the source's name.
                DeleteIfPresent(textPath);
                DeleteIfPresent(dialoguePath);
                var command = (e as CorpusException)?.Command;
                return new SourceProvenance(source.Name, SourceProvenance.Failed, date, !source.IncludedByDefault, source.Note,
                    Array.Empty<PackageProvenance>(), unavailable, null, null, e.Message, command);
            }
        }

        private TextProvenance WriteText(SourceOutput output, string path, Dictionary<string, Counts> perPackage)
        {
            var deduplicator = new LineDeduplicator();
            long lines = 0, words = 0, rejected = 0;
            var truncated = false;
            var builder = new StringBuilder();
            foreach (var (package, line) in output.Lines)
            {
                if (!TextCleaner.LooksLikeProse(line))
                {
                    rejected++;
                    continue;
                }

                if (!deduplicator.Add(line))
                {
                    continue;
                }

                var lineWords = TextCleaner.CountWords(line);
                if (_maxWordsPerSource.HasValue && words + lineWords > _maxWordsPerSource.Value)
                {
                    truncated = true;
                    break;
                }

                builder.Append(line).Append('\n');
                lines++;
                words += lineWords;
                perPackage[package].Lines++;
                perPackage[package].Words += lineWords;
            }

            WriteAtomically(path, builder.ToString());
            return new TextProvenance(Relative(path), lines, words, Hashing.Sha256File(path), deduplicator.Duplicates, rejected, truncated);
        }

        private DialogueProvenance? WriteDialogue(string source, SourceOutput output, string path, Dictionary<string, Counts> perPackage)
        {
            if (output.Pairs.Count == 0)
            {
                DeleteIfPresent(path);
                return null;
            }

            var seen = new HashSet<(string, string)>();
            long duplicates = 0, rejected = 0;
            var number = 0;
            var builder = new StringBuilder();
            foreach (var pair in output.Pairs)
            {
                if (!pair.IsUsable || !TextCleaner.LooksLikeProse(pair.User) || !TextCleaner.LooksLikeProse(pair.Assistant))
                {
                    rejected++;
                    continue;
                }

                if (!seen.Add((pair.User, pair.Assistant)))
                {
                    duplicates++;
                    continue;
                }

                builder.Append(DialogueJson.Format(source, ++number, pair)).Append('\n');
                if (perPackage.TryGetValue(pair.Package, out var counts))
                {
                    counts.Pairs++;
                }
            }

            WriteAtomically(path, builder.ToString());
            return new DialogueProvenance(Relative(path), number, Hashing.Sha256File(path), duplicates, rejected);
        }

        private static PackageProvenance Describe(FetchedPackage package, SourceOutput output, Counts counts)
        {
            var files = output.FilesUsed(package.Name);
            LicenceInfo licence;
            string? licenceFile;
            if (package.Spec.Kind == PackageKind.Debian)
            {
                licenceFile = $"usr/share/doc/{package.Name}/copyright";
                var path = Path.Combine(package.Root, licenceFile);
                licence = File.Exists(path)
                    ? LicenceDetector.FromDebianCopyright(File.ReadAllText(path), files)
                    : new LicenceInfo("unknown", Array.Empty<string>(), Array.Empty<string>());
                if (!File.Exists(path))
                {
                    licenceFile = null;
                }
            }
            else
            {
                licenceFile = "package/package.json";
                var readme = new[] { "README.md", "README", "readme.md", "README.txt" }
                    .Select(n => Path.Combine(package.Root, "package", n))
                    .FirstOrDefault(File.Exists);
                licence = LicenceDetector.FromNpmPackage(
                    File.ReadAllText(Path.Combine(package.Root, licenceFile)),
                    readme == null ? null : File.ReadAllText(readme));
            }

            return new PackageProvenance(
                package.Name,
                package.Spec.Kind == PackageKind.Debian ? "debian" : "npm",
                package.Version,
                Path.GetFileName(package.ArchivePath),
                package.Sha256,
                licence.Licence,
                licence.Mentioned,
                licenceFile,
                licence.Notes,
                files,
                counts.Lines,
                counts.Words,
                counts.Pairs);
        }

        private string Relative(string path) => Path.GetRelativePath(_cacheDirectory, path).Replace('\\', '/');

        private static void DeleteIfPresent(string path)
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }

        private static void WriteAtomically(string path, string contents)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".partial";
            File.WriteAllText(temporary, contents, Utf8);
            File.Move(temporary, path, overwrite: true);
        }

        private sealed class Counts
        {
            public long Lines { get; set; }

            public long Words { get; set; }

            public long Pairs { get; set; }
        }
    }
}
