#nullable enable

using System;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Steering;
using UnityEngine;

namespace SteerLM.Npc.Unity
{
    /// <summary>
    /// Puts a character in the scene: holds its profile and mood, passes game time to the mood every frame, and exposes
    /// the game events as methods that UnityEvents (buttons, triggers) can call.
    /// </summary>
    /// <remarks>
    /// The profile asset is checked in <c>Awake</c>. When it is missing or invalid the component logs one error that says
    /// what is wrong, disables itself, and ignores the game events, rather than throwing every frame.
    /// </remarks>
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
        private string? _error;

        /// <summary>Whether the profile asset is present and valid, so the character has a profile and a mood.</summary>
        public bool IsReady => TryBuild();

        /// <summary>The validated profile.</summary>
        /// <exception cref="InvalidOperationException">The profile asset is missing or invalid; the message says what is wrong.</exception>
        public NpcProfile Profile => TryBuild() ? _profile! : throw new InvalidOperationException(_error);

        /// <summary>The character's mood.</summary>
        /// <exception cref="InvalidOperationException">The profile asset is missing or invalid; the message says what is wrong.</exception>
        public NpcMood Mood => TryBuild() ? _mood! : throw new InvalidOperationException(_error);

        /// <summary>The attribute values the character's profile and mood give for a model schema.</summary>
        public AttributeValues CurrentAttributes(AttributeSchema schema) => AttributeMapper.Default.Map(Profile, Mood, schema);

        /// <summary>The player greets the character. Ignored when the profile is invalid (the error was logged in Awake).</summary>
        public void Greet() => MoodIfReady()?.Greet();

        /// <summary>The player pays the character a compliment.</summary>
        public void Compliment() => MoodIfReady()?.Compliment();

        /// <summary>The player tells the character a joke.</summary>
        public void Joke() => MoodIfReady()?.Joke();

        /// <summary>The player insults the character.</summary>
        public void Insult() => MoodIfReady()?.Insult();

        /// <summary>The player threatens the character.</summary>
        public void Threaten() => MoodIfReady()?.Threaten();

        /// <summary>The player helps the character.</summary>
        public void Help() => MoodIfReady()?.Help();

        /// <summary>The player gives the character a gift.</summary>
        public void Gift() => MoodIfReady()?.Gift();

        /// <summary>The player attacks the character.</summary>
        public void Attack() => MoodIfReady()?.Attack();

        /// <summary>The player ignores the character.</summary>
        public void IgnoreCharacter() => MoodIfReady()?.Ignore();

        private void Awake()
        {
            if (!TryBuild())
            {
                Debug.LogError(_error, this);
                enabled = false;
            }
        }

        private void Update()
        {
            _mood?.Advance(useUnscaledTime ? Time.unscaledDeltaTime : Time.deltaTime);
        }

        private NpcMood? MoodIfReady() => TryBuild() ? _mood : null;

        /// <summary>Builds the profile and mood once; on failure keeps the reason in <see cref="_error"/>.</summary>
        private bool TryBuild()
        {
            if (_mood != null)
            {
                return true;
            }

            if (_error != null)
            {
                return false;
            }

            if (profileAsset == null)
            {
                _error = $"{name}: NpcCharacter has no profile asset; assign one in the Inspector. The component is disabled.";
                return false;
            }

            try
            {
                _profile = profileAsset.ToProfile();
                _mood = new NpcMood(_profile);
                return true;
            }
            catch (Exception e) when (e is ArgumentException || e is FormatException)
            {
                _error = $"{name}: the profile asset '{profileAsset.name}' is invalid: {e.Message} The component is disabled.";
                return false;
            }
        }
    }
}
