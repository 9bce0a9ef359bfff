using System;
using System.Collections.Generic;
using System.Linq;
using SteerLM.Npc.Training.Corpus.Sources;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>The text sources of shared/DATA.md, in the order the corpus stage runs them.</summary>
    internal static class SourceCatalog
    {
        /// <summary>Every source, default ones and opt-in ones.</summary>
        public static IReadOnlyList<CorpusSource> All { get; } = new CorpusSource[]
        {
            new FortunesSource(),
            new WesnothSource(),
            new EndlessSkySource(),
            new FreedroidSource(),
            new CrawlSource(),
            new BrownSource(),
            new NlpCorpusSource(),
        };

        /// <summary>The sources that run when <c>--sources</c> is not given.</summary>
        public static IReadOnlyList<CorpusSource> Defaults => All.Where(s => s.IncludedByDefault).ToList();

        /// <summary>The sources named in <paramref name="names"/>, in catalogue order; null for an unknown name.</summary>
        public static IReadOnlyList<CorpusSource> Select(IEnumerable<string> names, out string? unknown)
        {
            var wanted = new HashSet<string>(names, StringComparer.Ordinal);
            unknown = wanted.FirstOrDefault(n => All.All(s => s.Name != n));
            return All.Where(s => wanted.Contains(s.Name)).ToList();
        }
    }
}
