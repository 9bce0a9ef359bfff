using System;
using System.Collections.Generic;
using System.IO;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// What a source's extraction produces, before deduplication: text lines and dialogue pairs in document order,
    /// each tagged with its package, and the files each package contributed.
    /// </summary>
    internal sealed class SourceOutput
    {
        private readonly List<(string Package, string Line)> _lines = new List<(string, string)>();
        private readonly List<DialoguePair> _pairs = new List<DialoguePair>();
        private readonly Dictionary<string, SortedSet<string>> _files = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);

        /// <summary>Text lines in the order they were added.</summary>
        public IReadOnlyList<(string Package, string Line)> Lines => _lines;

        /// <summary>Dialogue pairs in the order they were added.</summary>
        public IReadOnlyList<DialoguePair> Pairs => _pairs;

        /// <summary>Adds cleaned lines from <paramref name="package"/>.</summary>
        public void AddLines(string package, IEnumerable<string> lines)
        {
            foreach (var line in lines)
            {
                _lines.Add((package, line));
            }
        }

        /// <summary>Adds dialogue pairs.</summary>
        public void AddPairs(IEnumerable<DialoguePair> pairs) => _pairs.AddRange(pairs);

        /// <summary>Records that <paramref name="path"/> (inside the package's folder) was read.</summary>
        public void UseFile(FetchedPackage package, string path)
        {
            if (!_files.TryGetValue(package.Name, out var files))
            {
                files = new SortedSet<string>(StringComparer.Ordinal);
                _files[package.Name] = files;
            }

            files.Add(Path.GetRelativePath(package.Root, path).Replace('\\', '/'));
        }

        /// <summary>Reads a file of <paramref name="package"/> as UTF-8 and records it as used.</summary>
        public string ReadFile(FetchedPackage package, string path)
        {
            UseFile(package, path);
            return File.ReadAllText(path);
        }

        /// <summary>The files read from <paramref name="package"/>, relative to its folder, with '/' separators.</summary>
        public IReadOnlyCollection<string> FilesUsed(string package) =>
            _files.TryGetValue(package, out var files) ? files : (IReadOnlyCollection<string>)Array.Empty<string>();
    }
}
