using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SteerLM.Npc.Training.Cli;
using SteerLM.Npc.Training.Corpus;

namespace SteerLM.Npc.Training.Stages
{
    /// <summary>
    /// <c>corpus --cache DIR [--sources a,b,c] [--max-words-per-source N]</c>: fetches the text sources of
    /// shared/DATA.md and writes <c>DIR/text/SOURCE.txt</c> (plain text for pretraining, one paragraph or utterance
    /// per line), <c>DIR/dialogue/SOURCE.jsonl</c> (unlabelled exchanges mined from the games) and
    /// <c>DIR/provenance.json</c>. Exit code 1 when any requested source failed (the others are still written).
    /// </summary>
    internal sealed class CorpusStage : IStage
    {
        private readonly IProcessRunner _runner;
        private readonly TextWriter _output;
        private readonly Func<DateTimeOffset> _clock;

        public CorpusStage()
            : this(new ProcessRunner(), Console.Out, () => DateTimeOffset.UtcNow)
        {
        }

        internal CorpusStage(IProcessRunner runner, TextWriter output, Func<DateTimeOffset> clock)
        {
            _runner = runner;
            _output = output;
            _clock = clock;
        }

        public string Name => "corpus";

        public string Description => "fetch and clean the text sources (shared/DATA.md) into a cache folder";

        public int Run(IReadOnlyList<string> args)
        {
            var parser = new ArgumentParser("corpus [--cache DIR] [--sources a,b,c] [--max-words-per-source N]")
                .Option("--cache", "DIR", "cache folder (default: <repo>/.cache/corpus, ignored by git)")
                .Option("--sources", "LIST", "comma-separated sources (default: " + string.Join(",", SourceCatalog.Defaults.Select(s => s.Name)) + ")")
                .Option("--max-words-per-source", "N", "stop each source's text after N words (dialogue is not capped)");
            var parsed = parser.Parse(args);
            if (parsed.HelpRequested)
            {
                parser.WriteHelp(_output);
                _output.WriteLine();
                _output.WriteLine("sources:");
                var width = SourceCatalog.All.Max(s => s.Name.Length);
                foreach (var source in SourceCatalog.All)
                {
                    _output.WriteLine($"  {source.Name.PadRight(width)}  {source.Description}{(source.IncludedByDefault ? string.Empty : " [opt-in]")}");
                }

                return 0;
            }

            var names = parsed.List("--sources");
            IReadOnlyList<CorpusSource> sources;
            if (names == null)
            {
                sources = SourceCatalog.Defaults;
            }
            else
            {
                sources = SourceCatalog.Select(names, out var unknown);
                if (unknown != null)
                {
                    throw new UsageException($"unknown source '{unknown}' in '--sources'; the sources are {string.Join(", ", SourceCatalog.All.Select(s => s.Name))}.");
                }
            }

            var cache = parsed.Value("--cache") ?? DefaultCache();
            var maxWords = parsed.Int64("--max-words-per-source", 1);
            _output.WriteLine($"corpus: {sources.Count} source(s) into {Path.GetFullPath(cache)}");
            var results = new CorpusBuilder(cache, _runner, _output, maxWords).Run(sources, _clock());
            _output.WriteLine();
            WriteSummary(_output, results);
            return results.Any(r => r.Status != SourceProvenance.Ok) ? 1 : 0;
        }

        /// <summary>The per-source table printed at the end of a run.</summary>
        internal static void WriteSummary(TextWriter writer, IReadOnlyList<SourceProvenance> results)
        {
            var rows = new List<string[]> { new[] { "source", "status", "packages", "lines", "words", "pairs", "notes" } };
            foreach (var r in results)
            {
                var notes = new List<string>();
                if (r.Error != null)
                {
                    notes.Add(r.Error);
                }

                if (r.UnavailablePackages.Count > 0)
                {
                    notes.Add("unavailable: " + string.Join(", ", r.UnavailablePackages.Select(p => p.Name)));
                }

                if (r.Text?.TruncatedAtMaxWords == true)
                {
                    notes.Add("capped at --max-words-per-source");
                }

                if (r.OptInOnly)
                {
                    notes.Add("opt-in, not for commercial use");
                }

                rows.Add(new[]
                {
                    r.Source,
                    r.Status,
                    r.Packages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Number(r.Text?.Lines),
                    Number(r.Text?.Words),
                    Number(r.Dialogue?.Pairs),
                    string.Join("; ", notes),
                });
            }

            var total = results.Where(r => r.Text != null).ToList();
            rows.Add(new[]
            {
                "total",
                string.Empty,
                string.Empty,
                Number(total.Sum(r => r.Text!.Lines)),
                Number(total.Sum(r => r.Text!.Words)),
                Number(results.Sum(r => r.Dialogue?.Pairs ?? 0)),
                string.Empty,
            });

            var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
            foreach (var row in rows)
            {
                var cells = row.Select((cell, c) => c is >= 2 and <= 5 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
                writer.WriteLine(string.Join("  ", cells).TrimEnd());
            }
        }

        private static string Number(long? value) =>
            value.HasValue ? value.Value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-";

        /// <summary>&lt;repo&gt;/.cache/corpus, the repository being the folder above the working directory that holds the package manifest.</summary>
        private static string DefaultCache()
        {
            for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory != null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "package.json")) && File.Exists(Path.Combine(directory.FullName, "Directory.Packages.props")))
                {
                    return Path.Combine(directory.FullName, ".cache", "corpus");
                }
            }

            throw new UsageException("no --cache given and the working directory is not inside the SteerLM.Npc repository.");
        }
    }
}
