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

            [Range(0, 4)]
            public int value;
        }

        [Serializable]
        public struct AttributeCap
        {
            [Tooltip("Attribute name in the model's schema, for example toxicity.")]
            public string name;

            [Range(0, 4)]
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
        public string characterName = "New Character";
        public string role = "";
        [TextArea(3, 8)] public string backstory = "";
        [TextArea(2, 4)] public string speakingStyle = "";
        public List<string> knowledge = new List<string>();

        [Header("Tone at rest")]
        public List<AttributeSetting> baseline = new List<AttributeSetting>();
        public Mood restingMood = Mood.Calm;

        [Header("Temperament")]
        public MoodSetting happy = new MoodSetting { reactivity = 0.5f, halfLifeSeconds = 40f };
        public MoodSetting amused = new MoodSetting { reactivity = 0.5f, halfLifeSeconds = 25f };
        public MoodSetting annoyed = new MoodSetting { reactivity = 0.5f, halfLifeSeconds = 30f };
        public MoodSetting angry = new MoodSetting { reactivity = 0.4f, halfLifeSeconds = 30f };
        public MoodSetting afraid = new MoodSetting { reactivity = 0.4f, halfLifeSeconds = 20f };
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
