using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SteerLM.Npc.Training.Corpus.Formats;

namespace SteerLM.Npc.Training.Corpus.Sources
{
    /// <summary>
    /// Debian's <c>freedroidrpg-data</c>: one Lua dialogue script per character in
    /// <c>usr/share/freedroidrpg/data/storyline/*/dialogs/*.lua</c> (and <c>data/base/dialogs</c>). A script is a
    /// table of nodes, <c>{ id = "node1", text = _"player's choice", code = function() Npc:says(_"reply") ... end }</c>,
    /// plus <c>FirstTime</c>/<c>EveryTime</c> functions where <c>Tux:says</c> and <c>Npc:says</c> alternate.
    /// Text: every translatable string <c>_"..."</c>. Dialogue: a choice (or Tux's lines) and the NPC lines that follow
    /// it before the next branch, jump or Tux line. Strings with <c>%s</c>-style holes are left out.
    /// </summary>
    internal sealed partial class FreedroidSource : CorpusSource
    {
        private const string DataFolder = "usr/share/freedroidrpg/data";
        private const string Game = "FreedroidRPG";
        private const int MaxSystemLength = 300;

        public override string Name => "freedroidrpg";

        public override string Description => "Debian freedroidrpg-data: NPC dialogue trees (Lua), player choices and NPC replies";

        public override IReadOnlyList<PackageSpec> Packages { get; } = new[]
        {
            new PackageSpec("freedroidrpg-data", PackageKind.Debian),
        };

        public override void Extract(IReadOnlyList<FetchedPackage> packages, SourceOutput output)
        {
            foreach (var package in packages)
            {
                var data = Path.Combine(package.Root, DataFolder);
                var files = Directory.Exists(data)
                    ? Directory.EnumerateFiles(data, "*.lua", SearchOption.AllDirectories)
                        .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "dialogs")
                        .OrderBy(f => f, StringComparer.Ordinal)
                        .ToList()
                    : new List<string>();
                if (files.Count == 0)
                {
                    throw new InvalidDataException($"{package.Name}: no dialogs/*.lua files under {DataFolder}.");
                }

                foreach (var file in files)
                {
                    var result = ExtractScript(output.ReadFile(package, file), Path.GetFileNameWithoutExtension(file), package.Name);
                    output.AddLines(package.Name, result.Lines);
                    output.AddPairs(result.Pairs);
                }
            }
        }

        /// <summary>Text lines and dialogue pairs of one dialogue script; <paramref name="character"/> is the file's name.</summary>
        public static (List<string> Lines, List<DialoguePair> Pairs) ExtractScript(string lua, string character, string package)
        {
            var (tokens, comments) = LuaLexer.Tokenize(lua);
            var lines = new List<string>();
            for (var i = 0; i + 1 < tokens.Count; i++)
            {
                if (tokens[i].Is(LuaTokenKind.Name, "_") && tokens[i + 1].Kind == LuaTokenKind.String)
                {
                    var text = CleanString(tokens[i + 1].Text);
                    if (!string.IsNullOrEmpty(text))
                    {
                        lines.Add(text);
                    }
                }
            }

            // A plain file name (Bender) is the character's name; others (TutorialTom, Town-NorthGateGuard) give way
            // to the script's first Npc:set_name.
            var name = PlainName().IsMatch(character) ? character : DisplayName(tokens) ?? character;
            var system = SystemText(name, Purpose(comments, name));
            var miner = new PairMiner(character, system, package);
            foreach (var step in Steps(tokens))
            {
                miner.Apply(step);
            }

            miner.Apply(new Step(StepKind.Break, null));
            return (lines, miner.Pairs);
        }

        /// <summary>
        /// A translatable string as plain text, or null when it has a format hole (<c>%s</c>, <c>%d</c>) or is a
        /// terminal's shell prompt (<c>admin@host: ~ #</c>). Strips FreedroidRPG's <c>[b]</c>...<c>[/b]</c> markup;
        /// <c>%%</c> is a percent sign.
        /// </summary>
        public static string? CleanString(string text)
        {
            if (FormatHole().IsMatch(text.Replace("%%", string.Empty, StringComparison.Ordinal)) || ShellPrompt().IsMatch(text))
            {
                return null;
            }

            return TextCleaner.Normalize(Markup().Replace(text, string.Empty).Replace("%%", "%", StringComparison.Ordinal));
        }

        /// <summary>The PURPOSE line of the script's wiki comment, with <c>$$NAME$$</c> filled in, or null.</summary>
        public static string? Purpose(IEnumerable<string> longComments, string name)
        {
            foreach (var comment in longComments)
            {
                var match = PurposeField().Match(comment);
                if (!match.Success)
                {
                    continue;
                }

                var purpose = TextCleaner.Normalize(match.Groups[1].Value.Replace("$$NAME$$", name));
                if (purpose.Length == 0 || purpose.Contains("$$", StringComparison.Ordinal))
                {
                    return null;
                }

                return purpose.EndsWith(".", StringComparison.Ordinal) ? purpose : purpose + ".";
            }

            return null;
        }

        private static string SystemText(string name, string? purpose)
        {
            var system = $"You are {name}, a character in {Game}.";
            var withPurpose = purpose == null ? system : system + " " + purpose;
            return withPurpose.Length <= MaxSystemLength ? withPurpose : system;
        }

        /// <summary>The first <c>Npc:set_name("...")</c> of the script, when it is a short plain name.</summary>
        private static string? DisplayName(List<LuaToken> tokens)
        {
            for (var i = 0; i + 4 < tokens.Count; i++)
            {
                if (tokens[i].Is(LuaTokenKind.Name, "Npc") && tokens[i + 1].Is(LuaTokenKind.Symbol, ":")
                    && tokens[i + 2].Is(LuaTokenKind.Name, "set_name") && tokens[i + 3].Is(LuaTokenKind.Symbol, "("))
                {
                    var arg = tokens[i + 4].Is(LuaTokenKind.Name, "_") && i + 5 < tokens.Count ? tokens[i + 5] : tokens[i + 4];
                    if (arg.Kind == LuaTokenKind.String)
                    {
                        var name = TextCleaner.Normalize(arg.Text);
                        return name.Length is > 0 and <= 30 && !name.Contains('-') ? name : null;
                    }

                    return null;
                }
            }

            return null;
        }

        /// <summary>The script as a sequence of dialogue steps: nodes, choices, lines said, and breaks in the flow.</summary>
        private static IEnumerable<Step> Steps(List<LuaToken> tokens)
        {
            for (var i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (token.Kind != LuaTokenKind.Name)
                {
                    continue;
                }

                var next = i + 1 < tokens.Count ? tokens[i + 1] : null;
                switch (token.Text)
                {
                    case "id" when next != null && next.Is(LuaTokenKind.Symbol, "="):
                        yield return new Step(StepKind.Node, null);
                        break;
                    case "text" when next != null && next.Is(LuaTokenKind.Symbol, "="):
                        var value = i + 3 < tokens.Count && tokens[i + 2].Is(LuaTokenKind.Name, "_") && tokens[i + 3].Kind == LuaTokenKind.String
                            ? CleanString(tokens[i + 3].Text)
                            : null;
                        yield return new Step(StepKind.Choice, value);
                        break;
                    case "Npc" or "Tux" when next != null && next.Is(LuaTokenKind.Symbol, ":") && i + 3 < tokens.Count
                        && tokens[i + 2].Kind == LuaTokenKind.Name && tokens[i + 3].Is(LuaTokenKind.Symbol, "("):
                        var method = tokens[i + 2].Text;
                        if (method == "says" || method == "says_random")
                        {
                            var args = Arguments(tokens, i + 3);
                            var said = method == "says" ? (args.Count > 0 ? Translatable(args[0]) : null) : args.Select(Translatable).FirstOrDefault(s => s != null);
                            yield return new Step(token.Text == "Npc" ? StepKind.NpcSays : StepKind.TuxSays, said);
                        }

                        break;
                    case "cli_says" when next != null && next.Is(LuaTokenKind.Symbol, "("):
                        var cliArgs = Arguments(tokens, i + 1);
                        yield return new Step(StepKind.NpcSays, cliArgs.Count > 0 ? Translatable(cliArgs[0]) : null);
                        break;
                    case "if" or "while" or "for" or "repeat":
                        yield return new Step(StepKind.Branch, null);
                        break;
                    case "elseif" or "else" or "end" or "return" or "break" or "goto":
                        yield return new Step(StepKind.Break, null);
                        break;
                    case "next" or "end_dialog" when next != null && next.Is(LuaTokenKind.Symbol, "("):
                        yield return new Step(StepKind.Break, null);
                        break;
                }
            }
        }

        /// <summary>The arguments of the call whose '(' is at <paramref name="open"/>, each as its tokens.</summary>
        private static List<List<LuaToken>> Arguments(List<LuaToken> tokens, int open)
        {
            var args = new List<List<LuaToken>>();
            var current = new List<LuaToken>();
            var depth = 0;
            for (var i = open; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (token.Kind == LuaTokenKind.Symbol && (token.Text == "(" || token.Text == "{" || token.Text == "["))
                {
                    depth++;
                    if (depth == 1)
                    {
                        continue;
                    }
                }
                else if (token.Kind == LuaTokenKind.Symbol && (token.Text == ")" || token.Text == "}" || token.Text == "]"))
                {
                    depth--;
                    if (depth == 0)
                    {
                        break;
                    }
                }
                else if (depth == 1 && token.Is(LuaTokenKind.Symbol, ","))
                {
                    args.Add(current);
                    current = new List<LuaToken>();
                    continue;
                }

                current.Add(token);
            }

            if (current.Count > 0)
            {
                args.Add(current);
            }

            return args;
        }

        /// <summary>The cleaned text of an argument that is exactly <c>_"..."</c> (or <c>_("...")</c>), else null.</summary>
        private static string? Translatable(List<LuaToken> arg)
        {
            var isPlain = arg.Count == 2 && arg[0].Is(LuaTokenKind.Name, "_") && arg[1].Kind == LuaTokenKind.String;
            var isCall = arg.Count == 4 && arg[0].Is(LuaTokenKind.Name, "_") && arg[1].Is(LuaTokenKind.Symbol, "(")
                && arg[2].Kind == LuaTokenKind.String && arg[3].Is(LuaTokenKind.Symbol, ")");
            if (!isPlain && !isCall)
            {
                return null;
            }

            var text = CleanString(arg[isPlain ? 1 : 2].Text);
            return string.IsNullOrEmpty(text) ? null : text;
        }

        [GeneratedRegex(@"%[-+ #0-9.]*[sdifxXcq]", RegexOptions.CultureInvariant)]
        private static partial Regex FormatHole();

        [GeneratedRegex("^[A-Z][a-z]+$", RegexOptions.CultureInvariant)]
        private static partial Regex PlainName();

        [GeneratedRegex(@"^\S+@\S+:", RegexOptions.CultureInvariant)]
        private static partial Regex ShellPrompt();

        [GeneratedRegex(@"\[/?[a-z]\]", RegexOptions.CultureInvariant)]
        private static partial Regex Markup();

        [GeneratedRegex("PURPOSE\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
        private static partial Regex PurposeField();

        private enum StepKind
        {
            /// <summary>A new dialogue node starts.</summary>
            Node,

            /// <summary>The node's choice text (null when it is not a translatable string).</summary>
            Choice,

            /// <summary>Tux says something (null when the text is not a plain translatable string).</summary>
            TuxSays,

            /// <summary>The NPC says something (null when the text is not a plain translatable string).</summary>
            NpcSays,

            /// <summary>A condition or loop starts: the reply may continue inside its first branch.</summary>
            Branch,

            /// <summary>The flow is interrupted: another branch, the end of a block, a jump.</summary>
            Break,
        }

        private sealed record Step(StepKind Kind, string? Text);

        /// <summary>Turns the steps into (what Tux said, what the NPC answered) pairs.</summary>
        private sealed class PairMiner
        {
            private readonly string _character;
            private readonly string _system;
            private readonly string _package;
            private readonly List<string> _reply = new List<string>();
            private string? _prompt;
            private bool _replyBroken;

            public PairMiner(string character, string system, string package)
            {
                _character = character;
                _system = system;
                _package = package;
            }

            public List<DialoguePair> Pairs { get; } = new List<DialoguePair>();

            public void Apply(Step step)
            {
                switch (step.Kind)
                {
                    case StepKind.Node:
                        Flush();
                        _prompt = null;
                        break;
                    case StepKind.Choice:
                        Flush();
                        _prompt = step.Text;
                        break;
                    case StepKind.TuxSays when _reply.Count == 0 && !_replyBroken:
                        // Tux goes on talking: the lines join the prompt (a choice's text is also said by Tux).
                        _prompt = step.Text == null ? null : _prompt == null ? step.Text : _prompt + " " + step.Text;
                        break;
                    case StepKind.TuxSays:
                        Flush();
                        _prompt = step.Text;
                        break;
                    case StepKind.NpcSays when _prompt != null:
                        if (step.Text == null)
                        {
                            _replyBroken = true;
                        }
                        else
                        {
                            _reply.Add(step.Text);
                        }

                        break;
                    case StepKind.Branch when _reply.Count > 0 || _replyBroken:
                    case StepKind.Break:
                        Flush();
                        _prompt = null;
                        break;
                }
            }

            private void Flush()
            {
                if (_prompt != null && _reply.Count > 0 && !_replyBroken)
                {
                    Pairs.Add(new DialoguePair(_character, _system, _prompt, string.Join(" ", _reply), _package));
                }

                _reply.Clear();
                _replyBroken = false;
            }
        }
    }
}
