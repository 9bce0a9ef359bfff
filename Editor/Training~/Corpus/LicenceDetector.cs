using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>What a package says about its licence.</summary>
    /// <param name="Licence">The licence of the files used (several joined with " AND "), or "unknown".</param>
    /// <param name="Mentioned">Every licence the file names, in order of first mention.</param>
    /// <param name="Notes">Sentences worth a human's eye (permissions, requests not to republish).</param>
    internal sealed record LicenceInfo(string Licence, IReadOnlyList<string> Mentioned, IReadOnlyList<string> Notes);

    /// <summary>
    /// Reads licences from a Debian <c>copyright</c> file (machine-readable DEP-5, or free text) or an npm
    /// <c>package.json</c> and README. For DEP-5 the licence is that of the <c>Files:</c> paragraphs matching the
    /// files actually used; free text is scanned for well-known licence wordings, first mention first.
    /// </summary>
    internal static partial class LicenceDetector
    {
        private static readonly Dictionary<string, Regex> PatternCache = new Dictionary<string, Regex>(StringComparer.Ordinal);

        /// <summary>The licence of <paramref name="filesUsed"/> (paths inside the installed package) per <paramref name="copyright"/>.</summary>
        public static LicenceInfo FromDebianCopyright(string copyright, IReadOnlyCollection<string> filesUsed)
        {
            var paragraphs = Regex.Split(copyright.Replace("\r", string.Empty), "\n[ \t]*\n")
                .Select(ParseParagraph)
                .Where(p => p.Count > 0)
                .ToList();
            if (paragraphs.Count > 0 && paragraphs[0].ContainsKey("format") && paragraphs[0]["format"].Contains("copyright-format", StringComparison.Ordinal))
            {
                return FromDep5(paragraphs, filesUsed);
            }

            var mentioned = ScanFreeText(copyright);
            return new LicenceInfo(mentioned.Count > 0 ? mentioned[0] : "unknown", mentioned, Array.Empty<string>());
        }

        /// <summary>The licence field of an npm package.json, plus README sentences about permissions.</summary>
        public static LicenceInfo FromNpmPackage(string packageJson, string? readme)
        {
            string? licence = null;
            using (var document = JsonDocument.Parse(packageJson))
            {
                if (document.RootElement.TryGetProperty("license", out var field) && field.ValueKind == JsonValueKind.String)
                {
                    licence = field.GetString();
                }
            }

            var notes = new List<string>();
            if (readme != null)
            {
                foreach (Match match in Sentence().Matches(readme.Replace("\r", string.Empty)))
                {
                    var sentence = TextCleaner.Normalize(match.Value);
                    if (PermissionWords().IsMatch(sentence) && sentence.Length <= 400 && !notes.Contains(sentence))
                    {
                        notes.Add(sentence);
                    }
                }
            }

            var name = string.IsNullOrWhiteSpace(licence) ? "unknown" : licence!;
            return new LicenceInfo(name, new[] { name }, notes);
        }

        /// <summary>
        /// Whether the DEP-5 pattern <paramref name="pattern"/> (<c>*</c> any characters, <c>?</c> one) matches
        /// <paramref name="installedPath"/> or one of its trailing parts: Debian names source paths
        /// (<c>data/*</c>), the package installs them deeper (<c>usr/share/games/x/data/...</c>).
        /// </summary>
        public static bool Dep5Matches(string pattern, string installedPath)
        {
            Regex? regex;
            lock (PatternCache)
            {
                if (!PatternCache.TryGetValue(pattern, out regex))
                {
                    regex = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.CultureInvariant);
                    PatternCache[pattern] = regex;
                }
            }

            var path = installedPath;
            while (true)
            {
                if (regex.IsMatch(path))
                {
                    return true;
                }

                var slash = path.IndexOf('/');
                if (slash < 0)
                {
                    return false;
                }

                path = path.Substring(slash + 1);
            }
        }

        private static LicenceInfo FromDep5(List<Dictionary<string, string>> paragraphs, IReadOnlyCollection<string> filesUsed)
        {
            var filesParagraphs = paragraphs
                .Where(p => p.ContainsKey("files") && p.ContainsKey("license"))
                .Select(p => (Patterns: p["files"].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), Licence: FirstLine(p["license"])))
                .ToList();
            var used = new List<string>();
            foreach (var file in filesUsed)
            {
                string? licence = null;
                foreach (var (patterns, paragraphLicence) in filesParagraphs)
                {
                    if (patterns.Any(p => Dep5Matches(p, file)))
                    {
                        licence = paragraphLicence; // The last matching paragraph wins.
                    }
                }

                if (licence != null && !used.Contains(licence))
                {
                    used.Add(licence);
                }
            }

            var mentioned = filesParagraphs.Select(p => p.Licence).Distinct().ToList();
            return new LicenceInfo(used.Count > 0 ? string.Join(" AND ", used) : "unknown", mentioned, Array.Empty<string>());
        }

        private static Dictionary<string, string> ParseParagraph(string paragraph)
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            string? current = null;
            foreach (var line in paragraph.Split('\n'))
            {
                if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
                {
                    if (current != null)
                    {
                        fields[current] += "\n" + line.Trim();
                    }

                    continue;
                }

                var colon = line.IndexOf(':');
                if (colon <= 0 || line.Substring(0, colon).Contains(' '))
                {
                    current = null;
                    continue;
                }

                current = line.Substring(0, colon).ToLowerInvariant();
                fields[current] = line.Substring(colon + 1).Trim();
            }

            return fields;
        }

        private static string FirstLine(string value)
        {
            var newline = value.IndexOf('\n');
            return (newline < 0 ? value : value.Substring(0, newline)).Trim();
        }

        /// <summary>Licences named in free text, in order of first mention.</summary>
        private static List<string> ScanFreeText(string text)
        {
            var flat = Regex.Replace(text, "\\s+", " ");
            var found = new List<(int Position, string Licence)>();
            foreach (Match match in Gpl().Matches(flat))
            {
                var kind = match.Groups["kind"].Value.Length > 0 ? "LGPL" : "GPL";
                var window = flat.Substring(match.Index, Math.Min(300, flat.Length - match.Index));
                var version = GplVersion().Match(window);
                var name = version.Success ? $"{kind}-{version.Groups[1].Value}" : kind;
                if (version.Success && window.Contains("later version", StringComparison.OrdinalIgnoreCase))
                {
                    name += "+";
                }

                found.Add((match.Index, name));
            }

            Add(found, flat, "Redistribution and use in source and binary forms", "BSD-style");
            Add(found, flat, "Permission is hereby granted, free of charge", "MIT/Expat");
            Add(found, flat, "public domain", "public-domain");
            var licences = found.OrderBy(f => f.Position).Select(f => f.Licence).Distinct().ToList();

            // "the GPL" without a version adds nothing when a versioned GPL is named.
            licences.RemoveAll(l => (l == "GPL" || l == "LGPL") && licences.Any(v => v.StartsWith(l + "-", StringComparison.Ordinal)));
            return licences;
        }

        private static void Add(List<(int, string)> found, string text, string wording, string licence)
        {
            var index = text.IndexOf(wording, StringComparison.OrdinalIgnoreCase);
            if (index >= 0)
            {
                found.Add((index, licence));
            }
        }

        [GeneratedRegex(@"GNU (?:(?<kind>Library|Lesser) )?General Public License", RegexOptions.CultureInvariant)]
        private static partial Regex Gpl();

        [GeneratedRegex(@"version ([0-9](?:\.[0-9])?)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
        private static partial Regex GplVersion();

        [GeneratedRegex(@"[^.!?\n]*(?:\n(?!\n)[^.!?\n]*)*[.!?]", RegexOptions.CultureInvariant)]
        private static partial Regex Sentence();

        [GeneratedRegex(@"\b(?:licen[cs]e|permission|republish|redistribut|fair-use|commercial)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
        private static partial Regex PermissionWords();
    }
}
