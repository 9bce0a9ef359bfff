using System.Collections.Generic;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// One text source from shared/DATA.md: the packages it needs and how to turn their files into text lines and
    /// dialogue pairs. The format parsing lives in static methods that tests call on inline samples.
    /// </summary>
    internal abstract class CorpusSource
    {
        /// <summary>The name used by <c>--sources</c> and in the output file names.</summary>
        public abstract string Name { get; }

        /// <summary>One line for the help text.</summary>
        public abstract string Description { get; }

        /// <summary>The packages to fetch.</summary>
        public abstract IReadOnlyList<PackageSpec> Packages { get; }

        /// <summary>False for sources that run only when named in <c>--sources</c>.</summary>
        public virtual bool IncludedByDefault => true;

        /// <summary>A note for the provenance file (use restrictions), or null.</summary>
        public virtual string? Note => null;

        /// <summary>Reads the unpacked <paramref name="packages"/> (those that could be fetched) into <paramref name="output"/>.</summary>
        public abstract void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output);
    }
}
