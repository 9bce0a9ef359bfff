#nullable enable

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace SteerLM.Npc.Tests.Package
{
    /// <summary>
    /// A package installed from git is read-only, and Unity ignores any asset without a .meta file: these tests keep the
    /// package importable. Run <c>Tools~/generate-meta.sh</c> to add missing .meta files.
    /// </summary>
    public class UnityMetaTests
    {
        private static readonly Regex GuidLine = new Regex(@"^guid: ([0-9a-f]{32})\s*$", RegexOptions.Multiline);

        [Test]
        public void EveryFileAndFolderUnityImports_HasAMetaFile()
        {
            var root = PackageRoot.Find();
            var missing = PackageRoot.ImportedAssets(root)
                .Where(path => !File.Exists(path + ".meta"))
                .Select(path => PackageRoot.Relative(root, path))
                .ToList();

            Assert.That(missing, Is.Empty, "assets without .meta (run Tools~/generate-meta.sh): " + string.Join(", ", missing));
        }

        [Test]
        public void EveryMetaFile_HasAnAsset()
        {
            var root = PackageRoot.Find();
            var orphans = PackageRoot.MetaFiles(root)
                .Where(meta => !File.Exists(meta.Substring(0, meta.Length - 5)) && !Directory.Exists(meta.Substring(0, meta.Length - 5)))
                .Select(meta => PackageRoot.Relative(root, meta))
                .ToList();

            Assert.That(orphans, Is.Empty, "orphan .meta files: " + string.Join(", ", orphans));
        }

        [Test]
        public void EveryMetaFile_HasAGuidThatNoOtherMetaFileHas()
        {
            var root = PackageRoot.Find();
            var byGuid = new Dictionary<string, List<string>>();
            var malformed = new List<string>();
            foreach (var meta in PackageRoot.MetaFiles(root))
            {
                var match = GuidLine.Match(File.ReadAllText(meta));
                if (!match.Success)
                {
                    malformed.Add(PackageRoot.Relative(root, meta));
                    continue;
                }

                if (!byGuid.TryGetValue(match.Groups[1].Value, out var list))
                {
                    byGuid[match.Groups[1].Value] = list = new List<string>();
                }

                list.Add(PackageRoot.Relative(root, meta));
            }

            var shared = byGuid.Where(p => p.Value.Count > 1).Select(p => p.Key + ": " + string.Join(" and ", p.Value)).ToList();
            Assert.That(malformed, Is.Empty, "meta files without a 32-hex-digit guid line");
            Assert.That(shared, Is.Empty, "GUIDs shared by several meta files");
            Assert.That(byGuid.Count, Is.GreaterThan(10), "the package has its assets' meta files");
        }

        [TestCase("bin")]
        [TestCase("obj")]
        [TestCase("TestResults")]
        public void BuildFolders_AreImportedByUnity_SoTheyAreCheckedToo(string name)
        {
            Assert.That(PackageRoot.IsSkipped(name), Is.False, "Unity imports these like any folder; builds go to .artifacts/");
        }

        [TestCase(".artifacts")]
        [TestCase("Worker~")]
        [TestCase("CVS")]
        [TestCase("notes.tmp")]
        public void NamesUnitySkips_AreSkipped(string name)
        {
            Assert.That(PackageRoot.IsSkipped(name), Is.True);
        }

        [Test]
        public void PackageManifestMeta_UsesThePackageManifestImporter()
        {
            var root = PackageRoot.Find();
            var meta = File.ReadAllText(Path.Combine(root, "package.json.meta"));

            Assert.That(meta, Does.Contain("\nPackageManifestImporter:"), "Unity imports a package's package.json with PackageManifestImporter");
        }

        [Test]
        public void FolderMetaFiles_AreMarkedAsFolders()
        {
            var root = PackageRoot.Find();
            var wrong = PackageRoot.ImportedAssets(root)
                .Where(Directory.Exists)
                .Where(dir => File.Exists(dir + ".meta") && !File.ReadAllText(dir + ".meta").Contains("folderAsset: yes"))
                .Select(dir => PackageRoot.Relative(root, dir))
                .ToList();

            Assert.That(wrong, Is.Empty);
        }
    }

    /// <summary>Finds the package folder and lists what Unity imports from it.</summary>
    internal static class PackageRoot
    {
        /// <summary>
        /// The package folder: the nearest folder above this source file (the compiler records its path, so this works
        /// wherever the build output goes), the test directory or the working directory whose package.json is
        /// com.steerlm.npc's. Under dotnet a miss fails the test (it would hide missing .meta files); inside Unity, where a
        /// package can be installed in ways this search does not know, it is ignored.
        /// </summary>
        public static string Find([CallerFilePath] string sourceFile = "")
        {
            var starts = new[]
            {
                sourceFile.Length > 0 ? Path.GetDirectoryName(Path.GetFullPath(sourceFile)) ?? "" : "",
                TestContext.CurrentContext.TestDirectory,
                Directory.GetCurrentDirectory(),
                Path.Combine(Directory.GetCurrentDirectory(), "Packages", "com.steerlm.npc"),
            };
            foreach (var start in starts.Where(start => start.Length > 0 && Directory.Exists(start)))
            {
                for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                {
                    var manifest = Path.Combine(dir.FullName, "package.json");
                    if (File.Exists(manifest) && File.ReadAllText(manifest).Contains("\"com.steerlm.npc\""))
                    {
                        return dir.FullName;
                    }
                }
            }

            const string notFound = "The package folder (package.json of com.steerlm.npc) was not found from this source file, the test directory or the working directory.";
#if UNITY_5_3_OR_NEWER
            Assert.Ignore(notFound);
#else
            Assert.Fail(notFound);
#endif
            return "";
        }

        /// <summary>
        /// What Unity skips when it imports: hidden names, names ending in '~', 'cvs' and '*.tmp'. Nothing else: Unity
        /// imports bin/, obj/ and TestResults/ like any folder (dotnet builds go to .artifacts/ for that reason).
        /// </summary>
        public static bool IsSkipped(string name) =>
            name.StartsWith(".", StringComparison.Ordinal) || name.EndsWith("~", StringComparison.Ordinal) ||
            name.Equals("cvs", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase);

        public static IEnumerable<string> ImportedAssets(string root)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(root))
            {
                var name = Path.GetFileName(entry);
                if (IsSkipped(name) || name.EndsWith(".meta", StringComparison.Ordinal))
                {
                    continue;
                }

                yield return entry;
                if (Directory.Exists(entry))
                {
                    foreach (var child in ImportedAssets(entry))
                    {
                        yield return child;
                    }
                }
            }
        }

        public static IEnumerable<string> MetaFiles(string root)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(root))
            {
                var name = Path.GetFileName(entry);
                if (IsSkipped(name))
                {
                    continue;
                }

                if (Directory.Exists(entry))
                {
                    foreach (var child in MetaFiles(entry))
                    {
                        yield return child;
                    }
                }
                else if (name.EndsWith(".meta", StringComparison.Ordinal))
                {
                    yield return entry;
                }
            }
        }

        public static string Relative(string root, string path) => path.Substring(root.Length).TrimStart(Path.DirectorySeparatorChar).Replace('\\', '/');
    }
}
