#nullable enable

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SteerLM.Npc.Internal;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Characters
{
    /// <summary>What a character card gave, as the start of a profile.</summary>
    public sealed class CharacterCardImport
    {
        internal CharacterCardImport(NpcProfile profile, string firstMessage, IReadOnlyList<string> tags, IReadOnlyList<string> notes)
        {
            Profile = profile;
            FirstMessage = firstMessage;
            Tags = new List<string>(tags).AsReadOnly();
            Notes = new List<string>(notes).AsReadOnly();
        }

        /// <summary>The profile: persona from the card, temperament guessed from its personality words, everything else default.</summary>
        public NpcProfile Profile { get; }

        /// <summary>The card's greeting (<c>first_mes</c>), for a first line in the game.</summary>
        public string FirstMessage { get; }

        /// <summary>The card's tags.</summary>
        public IReadOnlyList<string> Tags { get; }

        /// <summary>What the importer did that a designer should review (fields it dropped or guessed).</summary>
        public IReadOnlyList<string> Notes { get; }
    }

    /// <summary>
    /// Imports SillyTavern character cards (<c>chara_card_v2</c> JSON, the older flat v1 JSON, or a PNG card with the JSON
    /// in its <c>chara</c> text chunk) as the start of an <see cref="NpcProfile"/>.
    /// </summary>
    /// <remarks>
    /// The macros <c>{{char}}</c> and <c>{{user}}</c> (and the older <c>&lt;BOT&gt;</c>, <c>&lt;USER&gt;</c>) are expanded in any
    /// letter case. Card text that contains a SteerLM control token (<c>&lt;extra_id_0&gt;</c> to <c>&lt;extra_id_2&gt;</c>)
    /// is refused with an error naming the field, since it would end up in the prompt.
    /// </remarks>
    public static class CharacterCard
    {
        private static readonly (string Word, Func<Temperament> Preset)[] TemperamentWords =
        {
            ("hot-tempered", () => Temperament.HotTempered), ("short-tempered", () => Temperament.HotTempered),
            ("irritable", () => Temperament.HotTempered), ("grumpy", () => Temperament.HotTempered), ("angry", () => Temperament.HotTempered),
            ("timid", () => Temperament.Timid), ("shy", () => Temperament.Timid), ("nervous", () => Temperament.Timid), ("cowardly", () => Temperament.Timid),
            ("cheerful", () => Temperament.Cheerful), ("bubbly", () => Temperament.Cheerful), ("playful", () => Temperament.Cheerful), ("jolly", () => Temperament.Cheerful),
            ("melancholic", () => Temperament.Melancholic), ("melancholy", () => Temperament.Melancholic), ("gloomy", () => Temperament.Melancholic), ("sad", () => Temperament.Melancholic),
            ("patient", () => Temperament.Patient), ("calm", () => Temperament.Patient), ("serene", () => Temperament.Patient),
        };

        /// <summary>Imports a card from a file: <c>.json</c>, or <c>.png</c> with a <c>chara</c> chunk.</summary>
        public static CharacterCardImport Load(string path)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Character card not found: {path}", path);
            }

            var bytes = File.ReadAllBytes(path);
            return IsPng(bytes) ? FromJson(JsonFromPng(bytes, path), path) : FromJson(Encoding.UTF8.GetString(bytes), path);
        }

        /// <summary>Imports a card from its JSON text (v2 <c>{"spec":"chara_card_v2","data":{...}}</c> or flat v1).</summary>
        /// <param name="json">The card JSON.</param>
        /// <param name="source">Where it came from, for error messages.</param>
        /// <exception cref="FormatException">The card is malformed; the message names the field.</exception>
        public static CharacterCardImport FromJson(string json, string source = "character card")
        {
            var root = Json.ParseObject(json, source);
            var notes = new List<string>();
            JsonObject data;
            var spec = root.OptionalString("spec");
            if (spec.Length > 0)
            {
                if (spec != "chara_card_v2" && spec != "chara_card_v3")
                {
                    throw root.Error("spec", $"is \"{spec}\"; supported cards are chara_card_v2 (and v3, read as v2) or flat v1 cards.");
                }

                data = root.RequiredObject("data");
                if (spec == "chara_card_v3")
                {
                    notes.Add("chara_card_v3 card read with the v2 fields only.");
                }
            }
            else
            {
                data = root;
            }

            var name = CardText(data, "name").Trim();
            if (name.Length == 0)
            {
                throw data.Error("name", "is missing or empty; a card must name its character.");
            }

            string Expand(string text) => text
                .Replace("{{char}}", name, StringComparison.OrdinalIgnoreCase).Replace("{{user}}", "the player", StringComparison.OrdinalIgnoreCase)
                .Replace("<BOT>", name, StringComparison.OrdinalIgnoreCase).Replace("<USER>", "the player", StringComparison.OrdinalIgnoreCase).Trim();

            var description = Expand(CardText(data, "description"));
            var personality = Expand(CardText(data, "personality"));
            var scenario = Expand(CardText(data, "scenario"));
            if (description.Length == 0 && personality.Length == 0)
            {
                throw data.Error("description", "and 'personality' are both empty; the persona would have nothing but a name.");
            }

            var backstory = scenario.Length == 0 ? description : (description + " Scenario: " + scenario).Trim();
            var knowledge = new List<string>();
            var book = data.OptionalObject("character_book");
            if (book.HasValue)
            {
                var entries = book.Value.OptionalArray("entries");
                for (var i = 0; i < entries.Length; i++)
                {
                    var entry = book.Value.ElementAsObject("entries", entries, i);
                    var enabled = entry.OptionalBool("enabled", true);
                    var content = Expand(CardText(entry, "content"));
                    if (enabled && content.Length > 0)
                    {
                        knowledge.Add(content);
                    }
                }
            }

            if (data.OptionalString("mes_example").Length > 0)
            {
                notes.Add("mes_example (example dialogue) was not imported; use it to tune the baseline attributes.");
            }

            if (data.OptionalString("system_prompt").Length > 0)
            {
                notes.Add("system_prompt was not imported: the persona becomes the system text.");
            }

            var tagsJson = data.OptionalArray("tags");
            var tags = new List<string>();
            for (var i = 0; i < tagsJson.Length; i++)
            {
                tags.Add(data.ElementAsString("tags", tagsJson, i));
            }

            var temperament = GuessTemperament(personality + " " + description, out var word);
            notes.Add(word == null
                ? "Temperament: no telling word in the personality; Balanced chosen."
                : $"Temperament: guessed from the word '{word}'.");

            var persona = new Persona(name, "", backstory, personality, knowledge);
            var profile = new NpcProfile(Slug(name), persona, temperament: temperament);
            return new CharacterCardImport(profile, Expand(CardText(data, "first_mes")), tags, notes);
        }

        /// <summary>A text field of the card; one that holds a SteerLM control token is refused, naming the field.</summary>
        private static string CardText(JsonObject json, string key)
        {
            var text = json.OptionalString(key);
            var token = SteerLMTemplate.FindControlToken(text);
            if (token != null)
            {
                throw json.Error(key, $"contains the SteerLM control token {token}; card text must not (it would rewrite the prompt).");
            }

            return text;
        }

        /// <summary>The preset of the first telling word (in <see cref="TemperamentWords"/> order) found as a whole word.</summary>
        private static Temperament GuessTemperament(string text, out string? word)
        {
            var lower = " " + text.ToLowerInvariant() + " ";
            foreach (var (candidate, preset) in TemperamentWords)
            {
                // Every occurrence counts: "sadistic, deeply sad" has the word "sad" after the non-word "sad...".
                for (var at = lower.IndexOf(candidate, StringComparison.Ordinal); at > 0; at = lower.IndexOf(candidate, at + 1, StringComparison.Ordinal))
                {
                    if (!char.IsLetter(lower[at - 1]) && !char.IsLetter(lower[at + candidate.Length]))
                    {
                        word = candidate;
                        return preset();
                    }
                }
            }

            word = null;
            return Temperament.Balanced;
        }

        internal static string Slug(string name)
        {
            var text = new StringBuilder(name.Length);
            foreach (var c in name.ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c))
                {
                    text.Append(c);
                }
                else if (text.Length > 0 && text[text.Length - 1] != '-')
                {
                    text.Append('-');
                }
            }

            var slug = text.ToString().Trim('-');
            return slug.Length == 0 ? "character" : slug;
        }

        private static bool IsPng(byte[] bytes) =>
            bytes.Length >= 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G';

        /// <summary>Finds the base64 JSON in a PNG card's <c>chara</c> (or <c>ccv3</c>) tEXt chunk.</summary>
        private static string JsonFromPng(byte[] png, string source)
        {
            var position = 8;
            while (position + 12 <= png.Length)
            {
                var length = (png[position] << 24) | (png[position + 1] << 16) | (png[position + 2] << 8) | png[position + 3];
                // Compare against what is left rather than adding: position + 12 + length can overflow an int.
                if (length < 0 || length > png.Length - position - 12)
                {
                    throw new FormatException($"{source}: PNG chunk at offset {position} runs past the end of the file.");
                }

                var type = Encoding.ASCII.GetString(png, position + 4, 4);
                if (type == "tEXt")
                {
                    var body = position + 8;
                    var zero = Array.IndexOf(png, (byte)0, body, length);
                    if (zero > body)
                    {
                        var keyword = Encoding.ASCII.GetString(png, body, zero - body);
                        if (keyword == "chara" || keyword == "ccv3")
                        {
                            var base64 = Encoding.ASCII.GetString(png, zero + 1, body + length - zero - 1);
                            try
                            {
                                return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
                            }
                            catch (FormatException e)
                            {
                                throw new FormatException($"{source}: the PNG's '{keyword}' chunk is not base64 text.", e);
                            }
                        }
                    }
                }

                if (type == "IEND")
                {
                    break;
                }

                position += 12 + length;
            }

            throw new FormatException($"{source}: a PNG without a 'chara' text chunk is not a character card.");
        }
    }
}
