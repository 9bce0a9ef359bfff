using MessagePack;

namespace SteerLM.Npc.Characters
{
    /// <summary>A character's mood and its intensity, as kept in a game save.</summary>
    [MessagePackObject]
    public sealed class MoodSnapshot
    {
        /// <summary>The mood.</summary>
        [Key(0)]
        public Mood Mood { get; set; }

        /// <summary>Its intensity, 0..1.</summary>
        [Key(1)]
        public float Intensity { get; set; }
    }
}
