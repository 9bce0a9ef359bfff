using System;
using System.Collections.Generic;

namespace SteerLM.Npc.Training.Corpus.Formats
{
    /// <summary>One line of an Endless Sky data file, with the lines indented under it.</summary>
    internal sealed class EndlessSkyNode
    {
        public EndlessSkyNode(IReadOnlyList<string> tokens, IReadOnlyList<char> quotes, int line)
        {
            Tokens = tokens;
            Quotes = quotes;
            Line = line;
        }

        /// <summary>The line's tokens, quotes removed.</summary>
        public IReadOnlyList<string> Tokens { get; }

        /// <summary>For each token, the quote it was written with: <c>'`'</c> (prose that holds double quotes), <c>'"'</c>, or <c>'\0'</c> for none.</summary>
        public IReadOnlyList<char> Quotes { get; }

        /// <summary>The lines indented under this one.</summary>
        public List<EndlessSkyNode> Children { get; } = new List<EndlessSkyNode>();

        /// <summary>1-based line number.</summary>
        public int Line { get; }

        /// <summary>The first token, or an empty string.</summary>
        public string Key => Tokens.Count > 0 ? Tokens[0] : string.Empty;

        /// <summary>This node and every node under it, depth first.</summary>
        public IEnumerable<EndlessSkyNode> DescendantsAndSelf()
        {
            yield return this;
            foreach (var child in Children)
            {
                foreach (var node in child.DescendantsAndSelf())
                {
                    yield return node;
                }
            }
        }
    }

    /// <summary>
    /// Reads Endless Sky's data format: one node per line, tokens separated by spaces, quoted with <c>"..."</c> or
    /// <c>`...`</c>, children indented (tabs) under their parent, <c>#</c> comments.
    /// </summary>
    internal static class EndlessSkyDataFile
    {
        /// <summary>The top-level nodes of <paramref name="text"/>.</summary>
        public static List<EndlessSkyNode> Parse(string text)
        {
            var roots = new List<EndlessSkyNode>();
            var stack = new List<(int Indent, EndlessSkyNode Node)>();
            var lineNumber = 0;
            foreach (var rawLine in text.Split('\n'))
            {
                lineNumber++;
                var line = rawLine.TrimEnd('\r');
                var indent = 0;
                while (indent < line.Length && (line[indent] == '\t' || line[indent] == ' '))
                {
                    indent++;
                }

                var (tokens, quotes) = Tokenize(line, indent);
                if (tokens.Count == 0)
                {
                    continue;
                }

                var node = new EndlessSkyNode(tokens, quotes, lineNumber);
                while (stack.Count > 0 && stack[stack.Count - 1].Indent >= indent)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                if (stack.Count == 0)
                {
                    roots.Add(node);
                }
                else
                {
                    stack[stack.Count - 1].Node.Children.Add(node);
                }

                stack.Add((indent, node));
            }

            return roots;
        }

        private static (List<string> Tokens, List<char> Quotes) Tokenize(string line, int start)
        {
            var tokens = new List<string>();
            var quotes = new List<char>();
            var i = start;
            while (i < line.Length)
            {
                var c = line[i];
                if (c == ' ' || c == '\t')
                {
                    i++;
                    continue;
                }

                if (c == '#')
                {
                    break;
                }

                if (c == '"' || c == '`')
                {
                    var end = line.IndexOf(c, i + 1);
                    if (end < 0)
                    {
                        end = line.Length;
                    }

                    tokens.Add(line.Substring(i + 1, end - i - 1));
                    quotes.Add(c);
                    i = Math.Min(line.Length, end + 1);
                    continue;
                }

                var wordEnd = i;
                while (wordEnd < line.Length && line[wordEnd] != ' ' && line[wordEnd] != '\t')
                {
                    wordEnd++;
                }

                tokens.Add(line.Substring(i, wordEnd - i));
                quotes.Add('\0');
                i = wordEnd;
            }

            return (tokens, quotes);
        }
    }
}
