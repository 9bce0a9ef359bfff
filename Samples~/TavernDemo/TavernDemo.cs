#nullable enable

using System;
using System.Collections.Generic;
using System.Globalization;
using SteerLM.Npc.Characters;
using UnityEngine;

namespace SteerLM.Npc.Samples.TavernDemo
{
    /// <summary>
    /// The Crooked Lantern's three regulars, built from code: pick one (1, 2, 3 or Tab), then insult (I), give a gift (G),
    /// threaten (T) or compliment (C) them, and watch each character's mood, its intensity and the SteerLM attribute
    /// string it would send fade back with game time. No scene needed: add this component to an empty GameObject and
    /// press Play.
    /// </summary>
    /// <remarks>
    /// Keys are read from IMGUI events in <see cref="OnGUI"/>, which work with either input backend (the Input Manager or
    /// the Input System package). The streamed lines arrive here once the worker and its IPC land.
    /// </remarks>
    [AddComponentMenu("SteerLM/Samples/Tavern Demo")]
    public sealed class TavernDemo : MonoBehaviour
    {
        [SerializeField, Tooltip("Game seconds per real second; raise it to watch moods fade faster.")]
        private float gameSecondsPerSecond = 1f;

        private readonly List<Regular> _regulars = new List<Regular>();
        private int _selected;

        private void Awake()
        {
            foreach (var profile in Profiles())
            {
                var regular = new Regular(profile);
                regular.Mood.Changed += change => regular.LastChange = string.Format(
                    CultureInfo.InvariantCulture, "{0} -> {1} ({2})", change.From, change.To, change.Cause);
                _regulars.Add(regular);
            }
        }

        private void Update()
        {
            var seconds = Time.deltaTime * Math.Max(0f, gameSecondsPerSecond);
            foreach (var regular in _regulars)
            {
                regular.Mood.Advance(seconds);
            }
        }

        private void OnGUI()
        {
            HandleKey(Event.current);

            GUILayout.Label("The Crooked Lantern. Pick with 1, 2, 3 or Tab; then I insult, G gift, T threaten, C compliment.");
            for (var i = 0; i < _regulars.Count; i++)
            {
                var regular = _regulars[i];
                var mood = regular.Mood;
                GUILayout.Space(8f);
                GUILayout.Label(string.Format(CultureInfo.InvariantCulture, "{0}{1}: {2}, intensity {3:0.00}{4}",
                    i == _selected ? "> " : "  ", regular.Profile.Persona.Name, mood.Current, mood.Intensity,
                    mood.CanBeSoothed ? " (a kind act would help)" : ""));
                GUILayout.Label("    " + AttributeMapper.Default.Map(regular.Profile, mood).ToAttributeString());
                GUILayout.Label("    last change: " + regular.LastChange);
            }

            if (_regulars.Count == 0)
            {
                return;
            }

            GUILayout.Space(8f);
            GUILayout.BeginHorizontal();
            var selected = _regulars[_selected].Mood;
            if (GUILayout.Button("Insult (I)"))
            {
                selected.Insult();
            }

            if (GUILayout.Button("Gift (G)"))
            {
                selected.Gift();
            }

            if (GUILayout.Button("Threaten (T)"))
            {
                selected.Threaten();
            }

            if (GUILayout.Button("Compliment (C)"))
            {
                selected.Compliment();
            }

            GUILayout.EndHorizontal();
        }

        private void HandleKey(Event e)
        {
            if (e.type != EventType.KeyDown || _regulars.Count == 0)
            {
                return;
            }

            var mood = _regulars[_selected].Mood;
            switch (e.keyCode)
            {
                case KeyCode.I: mood.Insult(); break;
                case KeyCode.G: mood.Gift(); break;
                case KeyCode.T: mood.Threaten(); break;
                case KeyCode.C: mood.Compliment(); break;
                case KeyCode.Alpha1: _selected = 0; break;
                case KeyCode.Alpha2: _selected = Math.Min(1, _regulars.Count - 1); break;
                case KeyCode.Alpha3: _selected = Math.Min(2, _regulars.Count - 1); break;
                case KeyCode.Tab: _selected = (_selected + 1) % _regulars.Count; break;
                default: return;
            }

            e.Use();
        }

        /// <summary>The three regulars: a cheerful innkeeper, a grumpy barkeep who rests at annoyed, and a timid priestess.</summary>
        private static IEnumerable<NpcProfile> Profiles()
        {
            yield return new NpcProfile(
                "marta",
                new Persona("Marta Hollis", "innkeeper of the Crooked Lantern in Millbrook",
                    "Widowed young, she has run the inn alone for twenty years and knows everyone's business.",
                    "warm and motherly, loves gossip, calls everyone 'love'",
                    new[] { "a room costs five silver a night", "the old mill burned down last spring" }),
                new Dictionary<string, int> { ["humor"] = 2, ["helpfulness"] = 4, ["formality"] = 1, ["verbosity"] = 3, ["joy"] = 2 },
                Temperament.Cheerful,
                AttributeLimits.None.WithMaximum("toxicity", 2),
                Mood.Happy);
            yield return new NpcProfile(
                "bram",
                new Persona("Old Bram", "barkeep of the Crooked Lantern",
                    "A retired caravan guard with a bad knee who has seen every kind of fool walk through the door.",
                    "gruff, few words, dry humour"),
                new Dictionary<string, int> { ["humor"] = 1, ["helpfulness"] = 2, ["formality"] = 0, ["verbosity"] = 1, ["joy"] = 0, ["toxicity"] = 1 },
                Temperament.HotTempered,
                restingMood: Mood.Annoyed);
            yield return new NpcProfile(
                "lys",
                new Persona("Sister Lys", "a travelling priestess resting at the inn",
                    "She is on pilgrimage to the shrine at Greyhollow and fears the roads at night.",
                    "formal, gentle, a little anxious"),
                new Dictionary<string, int> { ["humor"] = 0, ["helpfulness"] = 3, ["formality"] = 4, ["verbosity"] = 2 },
                Temperament.Timid,
                AttributeLimits.None.WithMaximum("toxicity", 0));
        }

        private sealed class Regular
        {
            public Regular(NpcProfile profile)
            {
                Profile = profile;
                Mood = new NpcMood(profile);
            }

            public NpcProfile Profile { get; }

            public NpcMood Mood { get; }

            public string LastChange { get; set; } = "none yet";
        }
    }
}
