namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>Where a package comes from.</summary>
    internal enum PackageKind
    {
        /// <summary>A Debian package, fetched with <c>apt-get download</c> and unpacked with <c>dpkg-deb -x</c>.</summary>
        Debian,

        /// <summary>An npm package, fetched with <c>npm pack</c> and unpacked with <c>tar</c>.</summary>
        Npm,
    }

    /// <summary>One package a source reads.</summary>
    /// <param name="Name">The package name.</param>
    /// <param name="Kind">Debian or npm.</param>
    /// <param name="Version">An exact version to fetch (npm), or null for what the package index offers (Debian).</param>
    /// <param name="Optional">True when the source still works without it (one of many game campaigns).</param>
    internal sealed record PackageSpec(string Name, PackageKind Kind, string? Version = null, bool Optional = false)
    {
        /// <summary>What to hand to <c>npm pack</c> or <c>apt-get download</c>.</summary>
        public string FetchSpec => Version == null ? Name : Kind == PackageKind.Npm ? $"{Name}@{Version}" : $"{Name}={Version}";
    }

    /// <summary>A package that is downloaded and unpacked.</summary>
    /// <param name="Spec">What was asked for.</param>
    /// <param name="ArchivePath">The downloaded .deb or .tgz.</param>
    /// <param name="Sha256">SHA-256 of the archive.</param>
    /// <param name="Version">The package's own version (from the .deb's control file, or npm's package.json).</param>
    /// <param name="Root">The folder the archive is unpacked into.</param>
    internal sealed record FetchedPackage(PackageSpec Spec, string ArchivePath, string Sha256, string Version, string Root)
    {
        /// <summary>The package name.</summary>
        public string Name => Spec.Name;
    }
}
