using System.Collections.Generic;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>Where one source's text came from and what was written: an entry of <c>provenance.json</c>.</summary>
    /// <param name="Source">The source name (<c>--sources</c>).</param>
    /// <param name="Status"><c>ok</c> or <c>failed</c>.</param>
    /// <param name="Date">When this entry was written (UTC, ISO 8601).</param>
    /// <param name="OptInOnly">True for sources that run only when named in <c>--sources</c>.</param>
    /// <param name="Note">Use restrictions, or null.</param>
    /// <param name="Packages">The packages read.</param>
    /// <param name="UnavailablePackages">Optional packages that could not be fetched.</param>
    /// <param name="Text">The text file written, or null.</param>
    /// <param name="Dialogue">The dialogue file written, or null when the source has no dialogue structure.</param>
    /// <param name="Error">Why the source failed, or null.</param>
    /// <param name="FailedCommand">The command that failed, or null.</param>
    internal sealed record SourceProvenance(
        string Source,
        string Status,
        string Date,
        bool OptInOnly,
        string? Note,
        IReadOnlyList<PackageProvenance> Packages,
        IReadOnlyList<UnavailablePackage> UnavailablePackages,
        TextProvenance? Text,
        DialogueProvenance? Dialogue,
        string? Error,
        string? FailedCommand)
    {
        public const string Ok = "ok";
        public const string Failed = "failed";
    }

    /// <summary>One package read by a source.</summary>
    /// <param name="Name">Package name.</param>
    /// <param name="Kind"><c>debian</c> or <c>npm</c>.</param>
    /// <param name="Version">The package's version.</param>
    /// <param name="Archive">The downloaded archive's file name (in <c>downloads/</c>).</param>
    /// <param name="Sha256">SHA-256 of the archive.</param>
    /// <param name="Licence">The licence of the files used.</param>
    /// <param name="LicencesMentioned">Every licence the licence file names.</param>
    /// <param name="LicenceFile">The file the licence was read from, inside the package.</param>
    /// <param name="LicenceNotes">Sentences about permissions quoted from the package.</param>
    /// <param name="FilesUsed">The files read, inside the package.</param>
    /// <param name="Lines">Text lines written from this package.</param>
    /// <param name="Words">Words written from this package.</param>
    /// <param name="Pairs">Dialogue pairs written from this package.</param>
    internal sealed record PackageProvenance(
        string Name,
        string Kind,
        string Version,
        string Archive,
        string Sha256,
        string Licence,
        IReadOnlyList<string> LicencesMentioned,
        string? LicenceFile,
        IReadOnlyList<string> LicenceNotes,
        IReadOnlyCollection<string> FilesUsed,
        long Lines,
        long Words,
        long Pairs);

    /// <summary>An optional package that could not be fetched.</summary>
    internal sealed record UnavailablePackage(string Name, string Error, string? Command);

    /// <summary>The text file a source wrote.</summary>
    /// <param name="Path">Relative to the cache folder.</param>
    /// <param name="Lines">Lines written.</param>
    /// <param name="Words">Words written (as <c>wc -w</c> counts).</param>
    /// <param name="Sha256">SHA-256 of the file.</param>
    /// <param name="DuplicateLinesRemoved">Lines left out because an identical line came earlier.</param>
    /// <param name="LinesRejected">Lines left out because they do not read as prose (art, code, bare punctuation).</param>
    /// <param name="TruncatedAtMaxWords">True when <c>--max-words-per-source</c> cut the text short.</param>
    internal sealed record TextProvenance(string Path, long Lines, long Words, string Sha256, long DuplicateLinesRemoved, long LinesRejected, bool TruncatedAtMaxWords);

    /// <summary>The dialogue file a source wrote.</summary>
    /// <param name="Path">Relative to the cache folder.</param>
    /// <param name="Pairs">Pairs written.</param>
    /// <param name="Sha256">SHA-256 of the file.</param>
    /// <param name="DuplicatePairsRemoved">Pairs left out because the same (line, reply) came earlier.</param>
    /// <param name="PairsRejected">Pairs left out for an empty, non-prose or too long (&gt; 400 characters) turn.</param>
    internal sealed record DialogueProvenance(string Path, long Pairs, string Sha256, long DuplicatePairsRemoved, long PairsRejected);

    /// <summary>
    /// Reads and writes <c>provenance.json</c>: <c>{"description": ..., "updated": ..., "sources": {"fortunes": {...}}}</c>.
    /// A run replaces the entries of the sources it ran and keeps the others.
    /// </summary>
    internal static class ProvenanceFile
    {
        public const string Description =
            "Where each corpus source came from (package, version, archive SHA-256, licence, files used) and what the " +
            "corpus stage wrote from it. Written by `SteerLM.Npc.Training corpus`; the text itself is not for git.";

        private static readonly JsonSerializerOptions Options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };

        /// <summary>The JSON text of <paramref name="existing"/> (or a new file) with <paramref name="entries"/> put in.</summary>
        public static string Merge(string? existing, IEnumerable<SourceProvenance> entries, string updated)
        {
            JsonObject? root = null;
            if (!string.IsNullOrWhiteSpace(existing))
            {
                try
                {
                    root = JsonNode.Parse(existing) as JsonObject;
                }
                catch (JsonException)
                {
                    root = null; // A damaged file is replaced.
                }
            }

            var sources = root?["sources"] as JsonObject ?? new JsonObject();
            root?.Remove("sources");
            foreach (var entry in entries)
            {
                sources[entry.Source] = JsonSerializer.SerializeToNode(entry, Options);
            }

            var result = new JsonObject
            {
                ["description"] = Description,
                ["updated"] = updated,
                ["sources"] = sources,
            };
            return result.ToJsonString(Options) + "\n";
        }
    }
}
