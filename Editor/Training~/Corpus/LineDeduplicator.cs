using System;
using System.Collections.Generic;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// Keeps the first occurrence of each line (exact, ordinal comparison after cleaning) and counts the rest.
    /// Game data repeats itself (difficulty variants, shared macros, fortunes filed under two topics).
    /// </summary>
    internal sealed class LineDeduplicator
    {
        private readonly HashSet<string> _seen = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>How many lines <see cref="Add"/> turned away as repeats.</summary>
        public long Duplicates { get; private set; }

        /// <summary>True the first time <paramref name="line"/> is seen; false (and counted) after that.</summary>
        public bool Add(string line)
        {
            if (_seen.Add(line))
            {
                return true;
            }

            Duplicates++;
            return false;
        }

        /// <summary>The lines of <paramref name="lines"/> in order, each kept only the first time it appears.</summary>
        public static IEnumerable<string> Deduplicate(IEnumerable<string> lines)
        {
            var deduplicator = new LineDeduplicator();
            foreach (var line in lines)
            {
                if (deduplicator.Add(line))
                {
                    yield return line;
                }
            }
        }
    }
}
