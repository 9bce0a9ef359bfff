using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using SteerLM.Npc.Training.Corpus.Formats;

namespace SteerLM.Npc.Training.Corpus.Sources
{
    /// <summary>
    /// Debian's <c>wesnoth-1.16-*</c> campaign packages: character dialogue in
    /// <c>usr/share/games/wesnoth/1.16/data/campaigns/&lt;Campaign&gt;/**/*.cfg</c> as
    /// <c>[message] speaker=Deoran message= _ "..." [/message]</c>. Text: every message, option label and story
    /// part. Dialogue: consecutive messages of two different named speakers in the same block become (line, reply)
    /// pairs, and an <c>[option]</c>'s label becomes a line answered by the first message in its <c>[command]</c>.
    /// Strings with <c>$variables</c> or macros are left out (they have holes), markup is stripped.
    /// </summary>
    internal sealed partial class WesnothSource : CorpusSource
    {
        /// <summary>The campaign packages named in DATA.md; each is optional (the source uses what it can fetch).</summary>
        public static readonly IReadOnlyList<string> Campaigns = new[]
        {
            "httt", "tsg", "sotbe", "trow", "ei", "nr", "low", "l", "sof", "sota", "thot", "utbs", "dm", "dw", "did", "ttb",
        };

        private const string CampaignFolder = "usr/share/games/wesnoth/1.16/data/campaigns";

        public override string Name => "wesnoth";

        public override string Description => "Debian wesnoth-1.16-* campaigns: character dialogue from campaign .cfg files";

        public override IReadOnlyList<PackageSpec> Packages { get; } =
            Campaigns.Select(c => new PackageSpec("wesnoth-1.16-" + c, PackageKind.Debian, Optional: true)).ToArray();

        public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
        {
            foreach (var package in packages)
            {
                var campaignsRoot = Path.Combine(package.Root, CampaignFolder);
                var campaignFolders = Directory.Exists(campaignsRoot)
                    ? Directory.GetDirectories(campaignsRoot).OrderBy(d => d, StringComparer.Ordinal).ToList()
                    : new List<string>();
                if (campaignFolders.Count == 0)
                {
                    throw new InvalidDataException($"{package.Name}: no campaign folder under {CampaignFolder}.");
                }

                foreach (var folder in campaignFolders)
                {
                    var main = Path.Combine(folder, "_main.cfg");
                    var campaign = (File.Exists(main) ? CampaignName(File.ReadAllText(main)) : null)
                        ?? Path.GetFileName(folder).Replace('_', ' ');
                    var files = Directory.EnumerateFiles(folder, "*.cfg", SearchOption.AllDirectories)
                        .OrderBy(f => f, StringComparer.Ordinal);
                    foreach (var file in files)
                    {
                        var result = ExtractFile(output.ReadFile(package, file), campaign, package.Name);
                        output.AddLines(package.Name, result.Lines);
                        output.AddPairs(result.Pairs);
                    }
                }
            }
        }

        /// <summary>The campaign's display name from its <c>_main.cfg</c> (<c>[campaign] name= _ "The South Guard"</c>), or null.</summary>
        public static string? CampaignName(string mainCfg)
        {
            var depth = 0;
            var inCampaign = false;
            foreach (var token in WmlReader.Read(mainCfg))
            {
                switch (token.Kind)
                {
                    case WmlTokenKind.OpenTag:
                        depth++;
                        inCampaign |= token.Name == "campaign" && depth == 1;
                        break;
                    case WmlTokenKind.CloseTag:
                        depth--;
                        inCampaign &= depth >= 1;
                        break;
                    case WmlTokenKind.Attribute when inCampaign && depth == 1 && token.Name == "name":
                        var name = CleanStrings(token.Strings);
                        return string.IsNullOrEmpty(name) ? null : name;
                }
            }

            return null;
        }

        /// <summary>Text lines and dialogue pairs of one campaign <c>.cfg</c> file.</summary>
        public static (List<string> Lines, List<DialoguePair> Pairs) ExtractFile(string cfgText, string campaign, string package)
        {
            var lines = new List<string>();
            var pairs = new List<DialoguePair>();
            var stack = new List<Frame>();
            foreach (var token in WmlReader.Read(cfgText))
            {
                switch (token.Kind)
                {
                    case WmlTokenKind.OpenTag:
                        stack.Add(new Frame(token.Name));
                        break;

                    case WmlTokenKind.CloseTag:
                        var index = stack.FindLastIndex(f => f.Tag == token.Name);
                        if (index < 0)
                        {
                            break;
                        }

                        var closed = stack[index];
                        stack.RemoveRange(index, stack.Count - index);
                        if (closed.Tag == "message")
                        {
                            CloseMessage(closed, stack, campaign, package, pairs);
                        }

                        break;

                    case WmlTokenKind.Attribute when stack.Count > 0:
                        ReadAttribute(stack[stack.Count - 1], token, lines);
                        break;

                    case WmlTokenKind.Directive:
                        // #ifdef EASY ... #else ... #endif: the branches never follow each other in play.
                        foreach (var frame in stack)
                        {
                            frame.LastMessage = null;
                        }

                        break;
                }
            }

            return (lines, pairs);
        }

        /// <summary>
        /// A message string as plain text, or null when it has holes (<c>$variables</c>, macros). Strips the
        /// translation context (<c>female^</c>), Pango markup (<c>&lt;i&gt;</c>, <c>&lt;span ...&gt;</c>) and entities.
        /// </summary>
        public static string? CleanString(string text) => CleanStrings(new[] { text });

        /// <summary>The pieces of a value (<c>_ "a" + _ "b"</c>) cleaned and joined, or null when one has holes.</summary>
        public static string? CleanStrings(IReadOnlyList<string> pieces)
        {
            if (pieces.Count == 0 || pieces.Any(p => p.Contains('$') || p.Contains('{') || p.Contains('}')))
            {
                return null;
            }

            var text = string.Concat(pieces.Select(p => TranslationContext().Replace(p, string.Empty)));
            text = PangoTag().Replace(text, string.Empty);
            text = WebUtility.HtmlDecode(text);
            return TextCleaner.Normalize(text);
        }

        private static void ReadAttribute(Frame frame, WmlToken token, List<string> lines)
        {
            switch (frame.Tag, token.Name)
            {
                case ("message", "speaker"):
                    frame.Speaker = token.Text.Trim();
                    break;
                case ("message", "id") when frame.Speaker == null:
                    frame.Speaker = token.Text.Trim();
                    break;
                case ("message", "message"):
                case ("message", "male_message") when frame.Text == null:
                    frame.Text = CleanStrings(token.Strings);
                    AddLine(lines, token);
                    break;
                case ("message", "female_message"):
                case ("part", "story"):
                    AddLine(lines, token);
                    break;
                case ("option", "label"):
                case ("option", "message"):
                case ("option", "description"):
                    frame.Text = CleanStrings(token.Strings);
                    AddLine(lines, token);
                    break;
            }
        }

        private static void AddLine(List<string> lines, WmlToken token)
        {
            var text = CleanStrings(token.Strings);
            if (!string.IsNullOrEmpty(text))
            {
                lines.Add(text);
            }
        }

        private static void CloseMessage(Frame message, List<Frame> stack, string campaign, string package, List<DialoguePair> pairs)
        {
            var text = string.IsNullOrEmpty(message.Text) ? null : message.Text;
            var speaker = message.Speaker;
            if (stack.Count == 0)
            {
                return;
            }

            var parent = stack[stack.Count - 1];
            var previous = parent.LastMessage;
            parent.LastMessage = text == null ? null : new SpokenLine(speaker, text);
            if (text == null)
            {
                return;
            }

            if (IsPairableSpeaker(speaker) && previous != null && IsPairableSpeaker(previous.Speaker) && previous.Speaker != speaker)
            {
                pairs.Add(MakePair(speaker, previous.Text, text, campaign, package));
            }

            // The first message inside an [option]'s [command] answers the option's label.
            var optionIndex = stack.FindLastIndex(f => f.Tag == "option");
            if (optionIndex > 0 && !stack[optionIndex].OptionAnswered)
            {
                var option = stack[optionIndex];
                option.OptionAnswered = true;
                var asker = stack[optionIndex - 1].Tag == "message" ? stack[optionIndex - 1].Speaker : null;
                if (IsPairableSpeaker(speaker) && !string.IsNullOrEmpty(option.Text) && asker != speaker)
                {
                    pairs.Add(MakePair(speaker, option.Text!, text, campaign, package));
                }
            }
        }

        private static bool IsPairableSpeaker([NotNullWhen(true)] string? speaker) =>
            !string.IsNullOrEmpty(speaker) && speaker != "narrator" && !speaker.Contains('$') && !speaker.Contains('{');

        private static DialoguePair MakePair(string speaker, string line, string reply, string campaign, string package)
        {
            var game = "The Battle for Wesnoth: " + campaign;
            // "unit" and "second_unit" are whoever triggered the event; "Glu,Bor" is either of two.
            var known = speaker != "unit" && speaker != "second_unit" && !speaker.Contains(',');
            return new DialoguePair(
                known ? speaker : DialoguePair.UnknownCharacter,
                known ? $"You are {speaker}, a character in {game}." : $"You are a character in {game}.",
                line,
                reply,
                package);
        }

        [GeneratedRegex(@"^[A-Za-z_ ]{1,40}\^", RegexOptions.CultureInvariant)]
        private static partial Regex TranslationContext();

        [GeneratedRegex(@"</?(?:i|b|u|s|big|small|span|tt|sub|sup|italic|bold)(?:\s[^<>]*)?>", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
        private static partial Regex PangoTag();

        private sealed class Frame
        {
            public Frame(string tag)
            {
                Tag = tag;
            }

            public string Tag { get; }

            public string? Speaker { get; set; }

            /// <summary>A message's text, or an option's label.</summary>
            public string? Text { get; set; }

            public bool OptionAnswered { get; set; }

            /// <summary>The last message closed directly inside this block.</summary>
            public SpokenLine? LastMessage { get; set; }
        }

        private sealed record SpokenLine(string? Speaker, string Text);
    }
}
