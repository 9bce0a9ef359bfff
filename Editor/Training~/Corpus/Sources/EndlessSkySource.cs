using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SteerLM.Npc.Training.Corpus.Formats;

namespace SteerLM.Npc.Training.Corpus.Sources
{
    /// <summary>
    /// Debian's <c>endless-sky-data</c>: missions, conversations and descriptions in
    /// <c>usr/share/games/endless-sky/data/**/*.txt</c>. Text: every backtick-quoted string (the game quotes prose
    /// that way). Dialogue: in each <c>conversation</c>, a <c>choice</c>'s spoken option (<c>`"Sure!"`</c>) and the
    /// speech in the first line it leads to (after <c>goto</c>, or right after the choice). Lines with the game's
    /// substitutions (<c>&lt;planet&gt;</c>, <c>&lt;first&gt;</c>, <c>&lt;payment&gt;</c>, key names such as
    /// <c>&lt;View star map&gt;</c>) are left out.
    /// </summary>
    internal sealed partial class EndlessSkySource : CorpusSource
    {
        private const string DataFolder = "usr/share/games/endless-sky/data";
        private const string SystemPrompt = "You are a character in Endless Sky, a space trading and combat game.";
        private const int MaxLinesToReply = 3;

        private static readonly HashSet<string> Endings = new HashSet<string>(StringComparer.Ordinal)
        {
            "accept", "decline", "defer", "launch", "flee", "depart", "die", "explode",
        };

        public override string Name => "endless-sky";

        public override string Description => "Debian endless-sky-data: mission conversations, player choices and replies";

        public override IReadOnlyList<PackageSpec> Packages { get; } = new[]
        {
            new PackageSpec("endless-sky-data", PackageKind.Debian),
        };

        public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
        {
            foreach (var package in packages)
            {
                var data = Path.Combine(package.Root, DataFolder);
                var files = Directory.Exists(data)
                    ? Directory.EnumerateFiles(data, "*.txt", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToList()
                    : new List<string>();
                if (files.Count == 0)
                {
                    throw new InvalidDataException($"{package.Name}: no *.txt files under {DataFolder}.");
                }

                foreach (var file in files)
                {
                    var result = ExtractFile(output.ReadFile(package, file), package.Name);
                    output.AddLines(package.Name, result.Lines);
                    output.AddPairs(result.Pairs);
                }
            }
        }

        /// <summary>Text lines and dialogue pairs of one data file.</summary>
        public static (List<string> Lines, List<DialoguePair> Pairs) ExtractFile(string text, string package)
        {
            var roots = EndlessSkyDataFile.Parse(text);
            var lines = new List<string>();
            var pairs = new List<DialoguePair>();
            foreach (var node in roots.SelectMany(r => r.DescendantsAndSelf()))
            {
                for (var i = 0; i < node.Tokens.Count; i++)
                {
                    if (node.Quotes[i] == '`')
                    {
                        var line = CleanString(node.Tokens[i]);
                        if (!string.IsNullOrEmpty(line))
                        {
                            lines.Add(line);
                        }
                    }
                }

                if (node.Key == "conversation")
                {
                    pairs.AddRange(MineConversation(node, package));
                }
            }

            return (lines, pairs);
        }

        /// <summary>A string as plain text, or null when it holds a substitution such as <c>&lt;planet&gt;</c>.</summary>
        public static string? CleanString(string text)
        {
            return Substitution().IsMatch(text) ? null : TextCleaner.Normalize(text);
        }

        private static IEnumerable<DialoguePair> MineConversation(EndlessSkyNode conversation, string package)
        {
            var elements = conversation.Children;
            for (var k = 0; k < elements.Count; k++)
            {
                if (elements[k].Key != "choice")
                {
                    continue;
                }

                foreach (var option in elements[k].Children.Where(IsText))
                {
                    var said = Spoken(option.Tokens[0]);
                    if (said == null)
                    {
                        continue;
                    }

                    var target = Follow(elements, option, k + 1);
                    var reply = target < 0 ? null : FirstReply(elements, target);
                    if (reply != null)
                    {
                        yield return new DialoguePair(DialoguePair.UnknownCharacter, SystemPrompt, said, reply, package);
                    }
                }
            }
        }

        /// <summary>Where the conversation goes after <paramref name="node"/>: its goto's label, the next element, or -1 when it ends.</summary>
        private static int Follow(List<EndlessSkyNode> elements, EndlessSkyNode node, int next)
        {
            foreach (var child in node.Children)
            {
                if (child.Key == "goto" && child.Tokens.Count > 1)
                {
                    var label = elements.FindIndex(e => e.Key == "label" && e.Tokens.Count > 1 && e.Tokens[1] == child.Tokens[1]);
                    return label < 0 ? -1 : label + 1;
                }

                if (Endings.Contains(child.Key))
                {
                    return -1;
                }
            }

            return next;
        }

        /// <summary>The speech of the first text line from <paramref name="index"/> on that has any, within a few lines.</summary>
        private static string? FirstReply(List<EndlessSkyNode> elements, int index)
        {
            var textsSeen = 0;
            while (index >= 0 && index < elements.Count && textsSeen < MaxLinesToReply)
            {
                var element = elements[index];
                if (element.Key == "label")
                {
                    index++;
                    continue;
                }

                if (!IsText(element) || HasCondition(element))
                {
                    return null;
                }

                textsSeen++;
                var said = Spoken(element.Tokens[0]);
                if (said != null)
                {
                    return said;
                }

                var next = Follow(elements, element, index + 1);
                if (next < 0 || next <= index)
                {
                    return null;
                }

                index = next;
            }

            return null;
        }

        /// <summary>A text line: a single quoted token (not a keyword such as <c>choice</c> or <c>label</c>).</summary>
        private static bool IsText(EndlessSkyNode node) => node.Tokens.Count == 1 && node.Quotes[0] != '\0';

        private static bool HasCondition(EndlessSkyNode node) => node.Children.Any(c => c.Key == "to");

        private static string? Spoken(string text)
        {
            if (Substitution().IsMatch(text))
            {
                return null;
            }

            var said = Speech.ExtractQuoted(text);
            return said.Length > 0 ? said : null;
        }

        [GeneratedRegex("<[A-Za-z][A-Za-z /]*>", RegexOptions.CultureInvariant)]
        private static partial Regex Substitution();
    }
}
