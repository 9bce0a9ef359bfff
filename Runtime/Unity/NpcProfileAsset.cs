#nullable enable

using System;
using System.Collections.Generic;
using SteerLM.Npc.Characters;
using UnityEngine;

namespace SteerLM.Npc.Unity
{
    /// <summary>A designer-editable character profile. <see cref="ToProfile"/> builds the validated engine-free profile.</summary>
    [CreateAssetMenu(menuName = "SteerLM/NPC Profile", fileName = "NpcProfile")]
    [HelpURL("https://github.com/steerlm-npc/steerlm-npc/blob/main/README.md")]
    public sealed class NpcProfileAsset : ScriptableObject
    {
        [Serializable]
        public struct AttributeSetting
        {
            [Tooltip("Attribute name in the model's schema, for example humor.")]
            public string name;

            [Range(0, 4), Tooltip("Value when the character is at rest, 0 (none) to 4 (the most).")]
            public int value;
        }

        [Serializable]
        public struct AttributeCap
        {
            [Tooltip("Attribute name in the model's schema, for example toxicity.")]
            public string name;

            [Range(0, 4), Tooltip("The highest value any mood may give this attribute.")]
            public int maximum;
        }

        [Serializable]
        public struct MoodSetting
        {
            [Range(0f, 1f), Tooltip("How easily events bring this mood on.")]
            public float reactivity;

            [Min(0.1f), Tooltip("Game seconds for the mood to fade by half.")]
            public float halfLifeSeconds;

            public MoodTraits ToTraits() => new MoodTraits(reactivity, halfLifeSeconds);
        }

        [Tooltip("Stable id used for conversation history and saves.")]
        public string id = "new-character";

        [Header("Persona")]
        [Tooltip("The character's name, as the model will call them.")]
        public string characterName = "New Character";

        [Tooltip("What they are, for example \"innkeeper of the Crooked Lantern\".")]
        public string role = "";

        [TextArea(3, 8), Tooltip("Their history and situation, in a few sentences.")]
        public string backstory = "";

        [TextArea(2, 4), Tooltip("How they talk, for example \"gruff, few words, dry humour\".")]
        public string speakingStyle = "";

        [Tooltip("Facts the character knows and may tell the player, one per entry.")]
        public List<string> knowledge = new List<string>();

        [Header("Tone at rest")]
        [Tooltip("Attribute values when the character is at rest; attributes not listed take the schema's default.")]
        public List<AttributeSetting> baseline = new List<AttributeSetting>();

        [Tooltip("The mood the character returns to when reactions fade (a grumpy character rests at Annoyed).")]
        public Mood restingMood = Mood.Calm;

        [Header("Temperament")]
        [Tooltip("How easily the character is pleased, and how long it lasts.")]
        public MoodSetting happy = new MoodSetting { reactivity = 0.5f, halfLifeSeconds = 40f };

        [Tooltip("How easily the character is amused, and how long it lasts.")]
        public MoodSetting amused = new MoodSetting { reactivity = 0.5f, halfLifeSeconds = 25f };

        [Tooltip("How easily the character is annoyed, and how long it lasts.")]
        public MoodSetting annoyed = new MoodSetting { reactivity = 0.5f, halfLifeSeconds = 30f };

        [Tooltip("How easily the character is angered, and how long it lasts.")]
        public MoodSetting angry = new MoodSetting { reactivity = 0.4f, halfLifeSeconds = 30f };

        [Tooltip("How easily the character is frightened, and how long it lasts.")]
        public MoodSetting afraid = new MoodSetting { reactivity = 0.4f, halfLifeSeconds = 20f };

        [Tooltip("How easily the character is saddened, and how long it lasts.")]
        public MoodSetting sad = new MoodSetting { reactivity = 0.4f, halfLifeSeconds = 45f };

        [Header("Limits")]
        [Tooltip("Hard caps no mood can break, for example toxicity 1 for a younger audience.")]
        public List<AttributeCap> limits = new List<AttributeCap>();

        /// <summary>Builds the engine-free profile; throws a clear error naming the bad field.</summary>
        public NpcProfile ToProfile()
        {
            var values = new Dictionary<string, int>();
            foreach (var setting in baseline)
            {
                values[setting.name] = setting.value;
            }

            var caps = AttributeLimits.None;
            foreach (var cap in limits)
            {
                caps = caps.WithMaximum(cap.name, cap.maximum);
            }

            var temperament = new Temperament(happy.ToTraits(), amused.ToTraits(), annoyed.ToTraits(), angry.ToTraits(), afraid.ToTraits(), sad.ToTraits());
            var persona = new Persona(characterName, role, backstory, speakingStyle, knowledge);
            return new NpcProfile(id, persona, values, temperament, caps, restingMood);
        }

        private void OnValidate()
        {
            try
            {
                ToProfile();
            }
            catch (Exception e) when (e is ArgumentException || e is FormatException)
            {
                Debug.LogWarning($"{name}: {e.Message}", this);
            }
        }
    }
}
