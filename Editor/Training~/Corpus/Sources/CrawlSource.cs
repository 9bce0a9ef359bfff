using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace SteerLM.Npc.Training.Corpus.Sources
{
    /// <summary>
    /// Debian's <c>crawl-common</c>: monster and god speech in <c>usr/share/crawl/dat/database/*speak*.txt</c> and
    /// <c>insult.txt</c>. Each file is a database of entries separated by <c>%%%%</c> lines: a key, then
    /// alternatives separated by blank lines (with <c>w:N</c> weights), where <c>@key@</c> refers to another entry
    /// (a small grammar) or to a game value such as <c>@The_monster@</c>. Entries no other entry refers to are
    /// expanded (up to six times, walking through the alternatives of what they refer to); an expansion that still
    /// has a game value keeps only its quoted speech, or is dropped when that has holes too. Lua (<c>{{ }}</c>) and
    /// <c>__NONE</c> entries are skipped.
    /// </summary>
    internal sealed partial class CrawlSource : CorpusSource
    {
        private const string DatabaseFolder = "usr/share/crawl/dat/database";
        private const int MaxExpansionsPerTemplate = 6;
        private const int MaxDepth = 10;

        public override string Name => "crawl";

        public override string Description => "Debian crawl-common: monster speech, god speech and insults";

        public override IReadOnlyList<PackageSpec> Packages { get; } = new[]
        {
            new PackageSpec("crawl-common", PackageKind.Debian),
        };

        public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
        {
            foreach (var package in packages)
            {
                var folder = Path.Combine(package.Root, DatabaseFolder);
                var files = Directory.Exists(folder)
                    ? Directory.EnumerateFiles(folder, "*.txt")
                        .Where(f => Path.GetFileName(f).Contains("speak", StringComparison.Ordinal) || Path.GetFileName(f) == "insult.txt")
                        .OrderBy(f => f, StringComparer.Ordinal)
                        .ToList()
                    : new List<string>();
                if (files.Count == 0)
                {
                    throw new InvalidDataException($"{package.Name}: no *speak*.txt or insult.txt under {DatabaseFolder}.");
                }

                var database = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                var order = new List<string>();
                foreach (var file in files)
                {
                    foreach (var (key, alternatives) in ParseDatabase(output.ReadFile(package, file)))
                    {
                        if (!database.ContainsKey(key))
                        {
                            database[key] = new List<string>();
                            order.Add(key);
                        }

                        database[key].AddRange(alternatives);
                    }
                }

                output.AddLines(package.Name, ExtractSpeech(database, order));
            }
        }

        /// <summary>The entries of one database file: key and alternatives (each alternative's lines joined by spaces).</summary>
        public static List<(string Key, List<string> Alternatives)> ParseDatabase(string fileText)
        {
            var entries = new List<(string, List<string>)>();
            foreach (var chunk in Regex.Split(fileText.Replace("\r", string.Empty), "^%%%%[ \t]*$", RegexOptions.Multiline))
            {
                string? key = null;
                var alternatives = new List<string>();
                var current = new List<string>();
                foreach (var line in chunk.Split('\n'))
                {
                    if (line.StartsWith("#", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (key == null)
                    {
                        if (line.Trim().Length > 0)
                        {
                            key = line.Trim();
                        }

                        continue;
                    }

                    if (line.Trim().Length == 0)
                    {
                        Finish(current, alternatives);
                        continue;
                    }

                    if (Weight().IsMatch(line))
                    {
                        continue;
                    }

                    current.Add(line.Trim());
                }

                Finish(current, alternatives);
                if (key != null)
                {
                    entries.Add((key, alternatives));
                }
            }

            return entries;
        }

        /// <summary>
        /// Expands the database's root entries (those no other entry refers to) and returns what reads as speech or
        /// prose, cleaned, in database order.
        /// </summary>
        public static List<string> ExtractSpeech(IReadOnlyDictionary<string, List<string>> database, IEnumerable<string> order)
        {
            var referenced = new HashSet<string>(
                database.Values.SelectMany(a => a).SelectMany(a => Reference().Matches(a).Select(m => m.Groups[1].Value)),
                StringComparer.Ordinal);
            var lines = new List<string>();
            foreach (var key in order.Where(k => !referenced.Contains(k)))
            {
                foreach (var template in database[key])
                {
                    // Expansion i takes alternative i (wrapping round) at every reference: deterministic, and each
                    // alternative of the references it makes is used once.
                    var choices = Reference().Matches(template)
                        .Select(m => database.TryGetValue(m.Groups[1].Value, out var alternatives) ? alternatives.Count : 1)
                        .DefaultIfEmpty(1)
                        .Max();
                    for (var i = 0; i < Math.Min(choices, MaxExpansionsPerTemplate); i++)
                    {
                        var expanded = Expand(template, database, i, 0);
                        var line = expanded == null ? null : Clean(expanded);
                        if (!string.IsNullOrEmpty(line))
                        {
                            lines.Add(line);
                        }
                    }
                }
            }

            return lines;
        }

        /// <summary>
        /// One expanded alternative as text: the whole line when no game value is left in it (without the quotes
        /// when it is one quotation), else only its quoted speech when that has none; null otherwise, and null for a lone word without end punctuation (a piece of
        /// the insult generator). Message-channel prefixes (<c>VISUAL:</c>) and colour tags go.
        /// </summary>
        public static string? Clean(string expanded)
        {
            if (expanded.Contains("{{", StringComparison.Ordinal) || expanded.Contains("__", StringComparison.Ordinal))
            {
                return null;
            }

            var text = ColourTag().Replace(ChannelPrefix().Replace(expanded, string.Empty), string.Empty);
            string line;
            if (!text.Contains('@'))
            {
                line = TextCleaner.Normalize(text);
                if (line.Length > 2 && line[0] == '"' && line[line.Length - 1] == '"' && line.IndexOf('"', 1) == line.Length - 1)
                {
                    line = line.Substring(1, line.Length - 2).Trim(); // A quotation alone: just what is said.
                }
            }
            else
            {
                line = Speech.ExtractQuoted(text);
                if (line.Contains('@'))
                {
                    return null;
                }
            }

            // A lone word ("scamp", "brittle") is a piece of the game's insult generator, not a line.
            var isFragment = TextCleaner.CountWords(line) < 2 && !line.EndsWith("!", StringComparison.Ordinal)
                && !line.EndsWith(".", StringComparison.Ordinal) && !line.EndsWith("?", StringComparison.Ordinal);
            return line.Length == 0 || isFragment ? null : line;
        }

        private static string? Expand(string template, IReadOnlyDictionary<string, List<string>> database, int choice, int depth)
        {
            if (depth > MaxDepth)
            {
                return null;
            }

            var failed = false;
            var result = Reference().Replace(template, match =>
            {
                if (!database.TryGetValue(match.Groups[1].Value, out var alternatives) || alternatives.Count == 0)
                {
                    return match.Value; // A game value, filled in by the game: left for Clean to judge.
                }

                var expanded = Expand(alternatives[choice % alternatives.Count], database, choice, depth + 1);
                failed |= expanded == null;
                return expanded ?? string.Empty;
            });
            return failed ? null : result;
        }

        private static void Finish(List<string> current, List<string> alternatives)
        {
            if (current.Count > 0)
            {
                alternatives.Add(string.Join(" ", current));
                current.Clear();
            }
        }

        [GeneratedRegex("^w:[0-9]+\\s*$", RegexOptions.CultureInvariant)]
        private static partial Regex Weight();

        [GeneratedRegex("@([^@\\s][^@]*?)@", RegexOptions.CultureInvariant)]
        private static partial Regex Reference();

        [GeneratedRegex("^[A-Z_]+:", RegexOptions.CultureInvariant)]
        private static partial Regex ChannelPrefix();

        [GeneratedRegex("</?[a-z]+>", RegexOptions.CultureInvariant)]
        private static partial Regex ColourTag();
    }
}
