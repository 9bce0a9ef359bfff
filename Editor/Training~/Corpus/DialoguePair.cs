namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// One exchange mined from a game's dialogue structure: a line said to a character (<see cref="User"/>) and the
    /// character's reply (<see cref="Assistant"/>). Unlabelled: the APM stage labels the attributes later.
    /// </summary>
    /// <param name="Character">The speaker id the game uses for the replying character, or <c>unknown</c>.</param>
    /// <param name="System">A short system prompt, e.g. "You are Deoran, a character in ...".</param>
    /// <param name="User">What was said to the character (a player choice, or the previous speaker's line).</param>
    /// <param name="Assistant">The character's reply.</param>
    /// <param name="Package">The package the exchange came from.</param>
    internal sealed record DialoguePair(string Character, string System, string User, string Assistant, string Package)
    {
        /// <summary>Longer turns are skipped: they are narration or speeches, not exchanges.</summary>
        public const int MaxTextLength = 400;

        /// <summary>The character id for replies whose speaker the data does not name.</summary>
        public const string UnknownCharacter = "unknown";

        /// <summary>True when both turns have text and neither is longer than <see cref="MaxTextLength"/>.</summary>
        public bool IsUsable =>
            User.Length > 0 && Assistant.Length > 0 && User.Length <= MaxTextLength && Assistant.Length <= MaxTextLength;
    }
}
