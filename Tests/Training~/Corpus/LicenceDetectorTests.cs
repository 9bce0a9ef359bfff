using NUnit.Framework;
using SteerLM.Npc.Training.Corpus;

namespace SteerLM.Npc.Training.Tests.Corpus
{
    public class LicenceDetectorTests
    {
        // Modelled on usr/share/doc/endless-sky-data/copyright (machine-readable, DEP-5).
        private const string Dep5 = @"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: endless-sky
Source: https://github.com/endless-sky/endless-sky

Files: *
Copyright: Michael Zahniser <mzahniser@gmail.com>
License: GPL-3+

Files: images/*
Copyright: Michael Zahniser <mzahniser@gmail.com>
License: CC-BY-SA-4.0

Files:
 images/outfit/*battery?hai*
 sounds/*
Copyright: Maximilian Korber
License: CC-BY-SA-3.0
Comment: Derived from works by Michael Zahniser.

License: GPL-3+
 This program is free software: you can redistribute it and/or modify
 it under the terms of the GNU General Public License version 3.
";

        [Test]
        public void FromDebianCopyright_OfDep5_GivesTheLicenceOfTheParagraphsMatchingTheFilesUsed()
        {
            var text = LicenceDetector.FromDebianCopyright(Dep5, new[] { "usr/share/games/endless-sky/data/intro missions.txt" });
            var images = LicenceDetector.FromDebianCopyright(Dep5, new[] { "usr/share/games/endless-sky/images/ship/a.png", "usr/share/games/endless-sky/sounds/b.wav" });

            Assert.That(text.Licence, Is.EqualTo("GPL-3+"));
            Assert.That(text.Mentioned, Is.EqualTo(new[] { "GPL-3+", "CC-BY-SA-4.0", "CC-BY-SA-3.0" }));
            Assert.That(images.Licence, Is.EqualTo("CC-BY-SA-4.0 AND CC-BY-SA-3.0"));
        }

        [Test]
        public void FromDebianCopyright_OfFreeText_FindsTheGplVersionAndLaterClause()
        {
            // Modelled on usr/share/doc/crawl-common/copyright.
            const string copyright = @"Dungeon Crawl Stone Soup
Copyright 1997-2016 Linley Henzell, the dev team, and the contributors

This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation; either version 2 of the License, or
(at your option) any later version.

On Debian systems, the full text of the GPL is also available at
/usr/share/common-licenses/GPL-2

* Public Domain|CC0: most of tiles.

THE ""BSD"" LICENCE
Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:
";

            var licence = LicenceDetector.FromDebianCopyright(copyright, new[] { "usr/share/crawl/dat/database/insult.txt" });

            Assert.That(licence.Licence, Is.EqualTo("GPL-2+"));
            Assert.That(licence.Mentioned, Is.EqualTo(new[] { "GPL-2+", "public-domain", "BSD-style" }));
        }

        [Test]
        public void FromNpmPackage_TakesTheLicenceFieldAndQuotesTheReadmesRequests()
        {
            const string packageJson = "{ \"name\": \"nlp-corpus\", \"version\": \"4.4.0\", \"license\": \"MIT\" }";
            const string readme = "**nlp-corpus** is a proud series of weird texts.\n\nThese texts were found just clicking around on the internet. " +
                "Running them blindly through your parser should be considered fair-use, but please don't commercially republish them, or anything like that.\n";

            var licence = LicenceDetector.FromNpmPackage(packageJson, readme);

            Assert.That(licence.Licence, Is.EqualTo("MIT"));
            Assert.That(licence.Notes, Has.Some.Contains("please don't commercially republish them"));
        }

        [TestCase("*", "usr/share/x/data/a.txt", true)]
        [TestCase("data/*", "usr/share/games/endless-sky/data/a b.txt", true)]
        [TestCase("images/*", "usr/share/games/endless-sky/data/a.txt", false)]
        [TestCase("debian/*", "usr/share/doc/x/copyright", false)]
        [TestCase("images/outfit/*battery?hai*", "usr/share/x/images/outfit/big battery hai.png", true)]
        public void Dep5Matches_MatchesSourcePatternsAgainstInstalledPaths(string pattern, string path, bool matches)
        {
            Assert.That(LicenceDetector.Dep5Matches(pattern, path), Is.EqualTo(matches));
        }
    }
}
