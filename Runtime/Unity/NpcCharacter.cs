#nullable enable

using SteerLM.Npc.Characters;
using SteerLM.Npc.Steering;
using UnityEngine;

namespace SteerLM.Npc.Unity
{
    /// <summary>
    /// Puts a character in the scene: holds its profile and mood, passes game time to the mood every frame, and exposes
    /// the game events as methods that UnityEvents (buttons, triggers) can call.
    /// </summary>
    [AddComponentMenu("SteerLM/NPC Character")]
    [HelpURL("https://github.com/steerlm-npc/steerlm-npc/blob/main/README.md")]
    [DisallowMultipleComponent]
    public sealed class NpcCharacter : MonoBehaviour
    {
        [SerializeField, Tooltip("The character's profile asset.")]
        private NpcProfileAsset? profileAsset;

        [SerializeField, Tooltip("Use unscaled time, so moods keep fading while the game is paused.")]
        private bool useUnscaledTime;

        private NpcProfile? _profile;
        private NpcMood? _mood;

        /// <summary>The validated profile.</summary>
        public NpcProfile Profile => _profile ??= (profileAsset != null ? profileAsset.ToProfile() : throw new MissingReferenceException($"{name}: NpcCharacter has no profile asset."));

        /// <summary>The character's mood.</summary>
        public NpcMood Mood => _mood ??= new NpcMood(Profile);

        /// <summary>The attribute values the character's profile and mood give for a model schema.</summary>
        public AttributeValues CurrentAttributes(AttributeSchema schema) => AttributeMapper.Default.Map(Profile, Mood, schema);

        public void Greet() => Mood.Greet();
        public void Compliment() => Mood.Compliment();
        public void Joke() => Mood.Joke();
        public void Insult() => Mood.Insult();
        public void Threaten() => Mood.Threaten();
        public void Help() => Mood.Help();
        public void Gift() => Mood.Gift();
        public void Attack() => Mood.Attack();
        public void IgnoreCharacter() => Mood.Ignore();

        private void Update()
        {
            Mood.Advance(useUnscaledTime ? Time.unscaledDeltaTime : Time.deltaTime);
        }
    }
}
