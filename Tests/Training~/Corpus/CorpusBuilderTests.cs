using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using SteerLM.Npc.Training.Corpus;
using SteerLM.Npc.Training.Stages;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    /// <summary>The whole corpus run with a fake apt-get and dpkg-deb: nothing is downloaded.</summary>
    public class CorpusBuilderTests
    {
        private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

        private string _cache = string.Empty;
        private FakeRunner _runner = new FakeRunner();

        [SetUp]
        public void SetUp()
        {
            _cache = Path.Combine(Path.GetTempPath(), "steerlm-corpus-tests-" + Guid.NewGuid().ToString("N"));
            _runner = new FakeRunner();
            _runner.Packages["tavern-data"] = new Dictionary<string, string>
            {
                ["usr/share/tavern/lines.txt"] =
                    "Welcome to the Crooked Lantern!\n" +
                    "  (__)  \n" +
                    "Welcome   to the Crooked Lantern!\n" +
                    "Two silver a night, love.\n" +
                    "Got a room free?|Two silver a night, love.\n",
                ["usr/share/doc/tavern-data/copyright"] =
                    "This program is free software; you can redistribute it under the terms of the GNU General Public License " +
                    "as published by the Free Software Foundation; either version 2 of the License, or (at your option) any later version.\n",
            };
        }

        [TearDown]
        public void TearDown()
        {
            if (Directory.Exists(_cache))
            {
                Directory.Delete(_cache, recursive: true);
            }
        }

        [Test]
        public void Run_WritesCleanDeduplicatedTextDialogueAndProvenance()
        {
            var results = Build(null, new TavernSource());

            Assert.That(results.Single().Status, Is.EqualTo("ok"));
            Assert.That(File.ReadAllText(Path.Combine(_cache, "text", "tavern.txt")),
                Is.EqualTo("Welcome to the Crooked Lantern!\nTwo silver a night, love.\n"));
            var dialogue = File.ReadAllLines(Path.Combine(_cache, "dialogue", "tavern.jsonl"));
            Assert.That(dialogue, Has.Length.EqualTo(1));
            Assert.That(dialogue[0], Does.StartWith("{\"id\":\"tavern-1\",\"character\":\"unknown\""));
        }

        [Test]
        public void Run_WritesProvenanceWithPackageVersionLicenceFilesCountsAndArchiveHash()
        {
            Build(null, new TavernSource());

            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(_cache, "provenance.json")));
            var root = document.RootElement;
            Assert.That(root.GetProperty("updated").GetString(), Is.EqualTo("2026-11-25T10:00:00Z"));
            var source = root.GetProperty("sources").GetProperty("tavern");
            Assert.That(source.GetProperty("status").GetString(), Is.EqualTo("ok"));
            Assert.That(source.GetProperty("date").GetString(), Is.EqualTo("2026-11-25T10:00:00Z"));
            Assert.That(source.GetProperty("optInOnly").GetBoolean(), Is.False);

            var package = source.GetProperty("packages")[0];
            Assert.That(package.GetProperty("name").GetString(), Is.EqualTo("tavern-data"));
            Assert.That(package.GetProperty("kind").GetString(), Is.EqualTo("debian"));
            Assert.That(package.GetProperty("version").GetString(), Is.EqualTo("1:1.0-1"));
            Assert.That(package.GetProperty("archive").GetString(), Is.EqualTo("tavern-data_1%3a1.0-1_all.deb"));
            Assert.That(package.GetProperty("sha256").GetString(),
                Is.EqualTo(Hashing.Sha256File(Path.Combine(_cache, "downloads", "tavern-data_1%3a1.0-1_all.deb"))).And.Length.EqualTo(64));
            Assert.That(package.GetProperty("licence").GetString(), Is.EqualTo("GPL-2+"));
            Assert.That(package.GetProperty("licenceFile").GetString(), Is.EqualTo("usr/share/doc/tavern-data/copyright"));
            Assert.That(package.GetProperty("filesUsed").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "usr/share/tavern/lines.txt" }));
            Assert.That(package.GetProperty("lines").GetInt64(), Is.EqualTo(2));
            Assert.That(package.GetProperty("words").GetInt64(), Is.EqualTo(10));
            Assert.That(package.GetProperty("pairs").GetInt64(), Is.EqualTo(1));

            var text = source.GetProperty("text");
            Assert.That(text.GetProperty("path").GetString(), Is.EqualTo("text/tavern.txt"));
            Assert.That(text.GetProperty("lines").GetInt64(), Is.EqualTo(2));
            Assert.That(text.GetProperty("words").GetInt64(), Is.EqualTo(10));
            Assert.That(text.GetProperty("duplicateLinesRemoved").GetInt64(), Is.EqualTo(1));
            Assert.That(text.GetProperty("linesRejected").GetInt64(), Is.EqualTo(1));
            Assert.That(text.GetProperty("sha256").GetString(), Is.EqualTo(Hashing.Sha256File(Path.Combine(_cache, "text", "tavern.txt"))));
            Assert.That(source.GetProperty("dialogue").GetProperty("pairs").GetInt64(), Is.EqualTo(1));
            Assert.That(source.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }

        [Test]
        public void Run_ReportsAFailedSourceWithTheCommandThatFailedAndGoesOnWithTheOthers()
        {
            _runner.Missing.Add("cellar-data");

            var results = Build(null, new TavernSource("cellar", "cellar-data"), new TavernSource());

            Assert.That(results.Select(r => r.Status), Is.EqualTo(new[] { "failed", "ok" }));
            Assert.That(results[0].Error, Does.Contain("Unable to locate package cellar-data"));
            Assert.That(results[0].FailedCommand, Does.Contain("apt-get download cellar-data").And.Contain(Path.Combine(_cache, "downloads")));
            Assert.That(File.Exists(Path.Combine(_cache, "text", "cellar.txt")), Is.False);
            Assert.That(File.Exists(Path.Combine(_cache, "text", "tavern.txt")), Is.True);
        }

        [Test]
        public void Run_GoesOnWithoutAnOptionalPackageThatCannotBeFetched()
        {
            _runner.Missing.Add("tavern-extra");

            var result = Build(null, new TavernSource(optional: "tavern-extra")).Single();

            Assert.That(result.Status, Is.EqualTo("ok"));
            Assert.That(result.UnavailablePackages.Select(p => p.Name), Is.EqualTo(new[] { "tavern-extra" }));
            Assert.That(result.UnavailablePackages[0].Command, Does.Contain("apt-get download tavern-extra"));
        }

        [Test]
        public void Run_ASecondTime_UsesTheDownloadedAndUnpackedArchive()
        {
            Build(null, new TavernSource());
            var firstRun = _runner.Commands.Count(c => c.StartsWith("apt-get") || c.StartsWith("dpkg-deb -x"));

            Build(null, new TavernSource());

            Assert.That(firstRun, Is.EqualTo(2));
            Assert.That(_runner.Commands.Count(c => c.StartsWith("apt-get") || c.StartsWith("dpkg-deb -x")), Is.EqualTo(2));
        }

        [Test]
        public void Run_WithAWordCap_StopsTheTextBeforeTheCapAndSaysSo()
        {
            var result = Build(6, new TavernSource()).Single();

            Assert.That(File.ReadAllText(Path.Combine(_cache, "text", "tavern.txt")), Is.EqualTo("Welcome to the Crooked Lantern!\n"));
            Assert.That(result.Text!.TruncatedAtMaxWords, Is.True);
        }

        [Test]
        public void Run_KeepsTheProvenanceOfSourcesNotRunThisTime()
        {
            Build(null, new TavernSource());
            Build(null, new TavernSource("cellar", "tavern-data"));

            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(_cache, "provenance.json")));
            var names = document.RootElement.GetProperty("sources").EnumerateObject().Select(p => p.Name);
            Assert.That(names, Is.EquivalentTo(new[] { "tavern", "cellar" }));
        }

        [Test]
        public void CorpusStage_WhenARequestedSourceFails_PrintsTheFailureAndExitsWith1()
        {
            _runner.Missing.Add("crawl-common");
            var output = new StringWriter();

            var code = new CorpusStage(_runner, output, () => Now).Run(new[] { "--cache", _cache, "--sources", "crawl" });

            Assert.That(code, Is.EqualTo(1));
            Assert.That(output.ToString(), Does.Contain("apt-get download crawl-common").And.Contain("failed"));
            Assert.That(output.ToString(), Does.Contain("source").And.Contain("words").And.Contain("pairs"));
        }

        private List<SourceProvenance> Build(long? maxWords, params CorpusSource[] sources) =>
            new CorpusBuilder(_cache, _runner, TextWriter.Null, maxWords).Run(sources, Now);

        /// <summary>A source that reads lines.txt: plain lines become text, "line|reply" lines become a pair.</summary>
        private sealed class TavernSource : CorpusSource
        {
            private readonly string _name;

            public TavernSource(string name = "tavern", string package = "tavern-data", string? optional = null)
            {
                _name = name;
                var packages = new List<PackageSpec> { new PackageSpec(package, PackageKind.Debian) };
                if (optional != null)
                {
                    packages.Add(new PackageSpec(optional, PackageKind.Debian, Optional: true));
                }

                Packages = packages;
            }

            public override string Name => _name;

            public override string Description => "test source";

            public override IReadOnlyList<PackageSpec> Packages { get; }

            public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
            {
                foreach (var package in packages)
                {
                    var file = Path.Combine(package.Root, "usr/share/tavern/lines.txt");
                    foreach (var line in output.ReadFile(package, file).Split('\n'))
                    {
                        var parts = line.Split('|');
                        if (parts.Length == 2)
                        {
                            output.AddPairs(new[] { new DialoguePair(DialoguePair.UnknownCharacter, "You are an innkeeper.", parts[0], parts[1], package.Name) });
                        }
                        else if (line.Trim().Length > 0)
                        {
                            output.AddLines(package.Name, new[] { TextCleaner.Normalize(line) });
                        }
                    }
                }
            }
        }

        /// <summary>Plays apt-get download and dpkg-deb: archives are small text files, unpacking writes <see cref="Packages"/>.</summary>
        private sealed class FakeRunner : IProcessRunner
        {
            public Dictionary<string, Dictionary<string, string>> Packages { get; } = new Dictionary<string, Dictionary<string, string>>();

            public HashSet<string> Missing { get; } = new HashSet<string>();

            public List<string> Commands { get; } = new List<string>();

            public string Run(string fileName, IReadOnlyList<string> arguments, string workingDirectory)
            {
                Commands.Add(fileName + " " + string.Join(" ", arguments));
                switch (fileName, arguments[0])
                {
                    case ("apt-get", "download"):
                        var name = arguments[1];
                        if (Missing.Contains(name))
                        {
                            throw new CorpusException($"apt-get exited with code 100: E: Unable to locate package {name}",
                                ProcessRunner.FormatCommand(fileName, arguments, workingDirectory));
                        }

                        File.WriteAllText(Path.Combine(workingDirectory, $"{name}_1%3a1.0-1_all.deb"), "pretend archive of " + name);
                        return string.Empty;
                    case ("dpkg-deb", "-f"):
                        return "1:1.0-1\n";
                    case ("dpkg-deb", "-x"):
                        var package = Path.GetFileName(arguments[1]).Split('_')[0];
                        foreach (var (path, text) in Packages.TryGetValue(package, out var files) ? files : new Dictionary<string, string>())
                        {
                            var target = Path.Combine(arguments[2], path);
                            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                            File.WriteAllText(target, text);
                        }

                        return string.Empty;
                    default:
                        throw new CorpusException($"unexpected command {fileName}", fileName);
                }
            }
        }
    }
}
