using System.Text;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// The cleaning every source shares: one line of plain UTF-8 text with single spaces, typographic quotes and
    /// ellipses as ASCII (the sources mix both; one spelling gives the tokenizer one piece per word), no control
    /// characters, no overstrikes. Source-specific markup is stripped by each source before this.
    /// </summary>
    internal static class TextCleaner
    {
        /// <summary>Returns <paramref name="text"/> as one clean line (possibly empty).</summary>
        public static string Normalize(string text)
        {
            if (text.Length == 0)
            {
                return text;
            }

            text = text.Normalize(NormalizationForm.FormC);
            var builder = new StringBuilder(text.Length);
            var pendingSpace = false;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];

                // Overstrike, as old fortune files underline or embolden: "_\bW" or "W\bW" show one 'W'.
                if (i + 1 < text.Length && text[i + 1] == '\b')
                {
                    i++;
                    continue;
                }

                string? replacement = c switch
                {
                    '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u2032' => "'",
                    '\u201C' or '\u201D' or '\u201E' or '\u201F' or '\u2033' => "\"",
                    '\u2026' => "...",
                    '\u00AD' or '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' => string.Empty,
                    _ => null,
                };

                if (replacement == null && (char.IsWhiteSpace(c) || char.IsControl(c)))
                {
                    // Every whitespace (tabs, line breaks, no-break spaces) becomes one space; other control characters go.
                    pendingSpace |= char.IsWhiteSpace(c);
                    continue;
                }

                var piece = replacement ?? c.ToString();
                if (piece.Length == 0)
                {
                    continue;
                }

                if (pendingSpace && builder.Length > 0)
                {
                    builder.Append(' ');
                }

                pendingSpace = false;
                builder.Append(piece);
            }

            return builder.ToString();
        }

        /// <summary>
        /// True when <paramref name="line"/> reads as language: at least two letters, and letters and spaces make up
        /// most of it (this drops ASCII art, code, tables and bare punctuation such as "...").
        /// </summary>
        public static bool LooksLikeProse(string line)
        {
            var letters = 0;
            var spaces = 0;
            foreach (var c in line)
            {
                if (char.IsLetter(c))
                {
                    letters++;
                }
                else if (c == ' ')
                {
                    spaces++;
                }
            }

            return letters >= 2 && letters + spaces >= 0.6 * line.Length;
        }

        /// <summary>Words as <c>wc -w</c> counts them: runs of characters between spaces.</summary>
        public static int CountWords(string line)
        {
            var words = 0;
            var inWord = false;
            foreach (var c in line)
            {
                if (char.IsWhiteSpace(c))
                {
                    inWord = false;
                }
                else if (!inWord)
                {
                    inWord = true;
                    words++;
                }
            }

            return words;
        }
    }
}
