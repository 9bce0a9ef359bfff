using System;
using System.Collections.Generic;
using System.Text;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>Finds what is said in a line of prose that mixes narration and quoted speech.</summary>
    internal static class Speech
    {
        /// <summary>
        /// The quoted parts of <paramref name="text"/>, joined: <c>"Was," he says. "Sold off my fleet."</c> gives
        /// <c>Was. Sold off my fleet.</c> (a comma that ended a part before a capitalised part becomes a full stop).
        /// An unclosed quote runs to the end (a speech that goes on in the next paragraph). Empty when nothing is quoted.
        /// </summary>
        public static string ExtractQuoted(string text)
        {
            text = TextCleaner.Normalize(text);
            var parts = new List<string>();
            var start = -1;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] != '"')
                {
                    continue;
                }

                if (start < 0)
                {
                    start = i + 1;
                }
                else
                {
                    AddPart(parts, text.Substring(start, i - start));
                    start = -1;
                }
            }

            if (start >= 0)
            {
                AddPart(parts, text.Substring(start));
            }

            var builder = new StringBuilder();
            for (var i = 0; i < parts.Count; i++)
            {
                var part = parts[i];
                if (i + 1 < parts.Count && part.EndsWith(",", StringComparison.Ordinal))
                {
                    var next = parts[i + 1];
                    if (char.IsUpper(next[0]) && !next.StartsWith("I ", StringComparison.Ordinal) && !next.StartsWith("I'", StringComparison.Ordinal))
                    {
                        part = part.Substring(0, part.Length - 1) + ".";
                    }
                }

                if (builder.Length > 0)
                {
                    builder.Append(' ');
                }

                builder.Append(part);
            }

            return builder.ToString();
        }

        private static void AddPart(List<string> parts, string part)
        {
            part = part.Trim();
            if (part.Length > 0)
            {
                parts.Add(part);
            }
        }
    }
}
