#nullable enable

namespace SteerLM.Npc.Characters
{
    /// <summary>The moods a character can be in. The resting mood is one of them; the others are short-lived reactions.</summary>
    public enum Mood
    {
        /// <summary>Even-tempered, no strong feeling.</summary>
        Calm = 0,

        /// <summary>Pleased, warm.</summary>
        Happy = 1,

        /// <summary>Entertained, in a joking mood.</summary>
        Amused = 2,

        /// <summary>Irritated, short-tempered.</summary>
        Annoyed = 3,

        /// <summary>Openly angry.</summary>
        Angry = 4,

        /// <summary>Scared.</summary>
        Afraid = 5,

        /// <summary>Unhappy, hurt.</summary>
        Sad = 6,
    }

    /// <summary>Game events that move a character's mood (the triggers of the mood machine).</summary>
    public enum MoodEvent
    {
        /// <summary>The player greets the character.</summary>
        Greeted,

        /// <summary>The player pays a compliment.</summary>
        Complimented,

        /// <summary>The player tells a joke or does something funny.</summary>
        Joked,

        /// <summary>The player insults the character.</summary>
        Insulted,

        /// <summary>The player threatens the character.</summary>
        Threatened,

        /// <summary>The player helps the character.</summary>
        Helped,

        /// <summary>The player gives a gift.</summary>
        Gifted,

        /// <summary>The player attacks the character.</summary>
        Attacked,

        /// <summary>The player ignores the character.</summary>
        Ignored,

        /// <summary>Internal: an anger has cooled enough to become annoyance.</summary>
        CooledDown,

        /// <summary>Internal: a reaction has faded and the character returns to their resting mood.</summary>
        Settled,
    }
}
