#nullable enable

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Characters
{
    /// <summary>
    /// Who a character is: the text that becomes the system part of the SteerLM prompt. Immutable; change with <c>With...</c>.
    /// </summary>
    public sealed class Persona
    {
        /// <summary>
        /// Creates a persona. The name must not be empty, and no field may contain a SteerLM control token
        /// (<c>&lt;extra_id_0&gt;</c>, <c>&lt;extra_id_1&gt;</c>, <c>&lt;extra_id_2&gt;</c>): the persona becomes the prompt's
        /// system text, and a control token in it would rewrite the prompt.
        /// </summary>
        /// <exception cref="ArgumentException">The name is empty, or a field contains a control token; the message names the field.</exception>
        /// <param name="name">The character's name, for example "Marta Hollis".</param>
        /// <param name="role">What they are, for example "innkeeper of the Crooked Lantern".</param>
        /// <param name="backstory">Their history and situation.</param>
        /// <param name="speakingStyle">How they talk.</param>
        /// <param name="knowledge">Facts the character knows and may tell the player.</param>
        public Persona(string name, string role = "", string backstory = "", string speakingStyle = "", IEnumerable<string>? knowledge = null)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException("Persona.Name is empty; every character needs a name.", nameof(name));
            }

            Name = Checked(name.Trim(), "Persona.Name");
            Role = Checked((role ?? "").Trim(), "Persona.Role");
            Backstory = Checked((backstory ?? "").Trim(), "Persona.Backstory");
            SpeakingStyle = Checked((speakingStyle ?? "").Trim(), "Persona.SpeakingStyle");
            var facts = new List<string>();
            var index = 0;
            foreach (var fact in knowledge ?? Enumerable.Empty<string>())
            {
                if (!string.IsNullOrWhiteSpace(fact))
                {
                    facts.Add(Checked(fact.Trim(), $"Persona.Knowledge[{index}]"));
                }

                index++;
            }

            Knowledge = facts.AsReadOnly();
        }

        /// <summary>The character's name.</summary>
        public string Name { get; }

        /// <summary>What they are (occupation, station).</summary>
        public string Role { get; }

        /// <summary>History and situation.</summary>
        public string Backstory { get; }

        /// <summary>How they talk.</summary>
        public string SpeakingStyle { get; }

        /// <summary>Facts the character knows.</summary>
        public IReadOnlyList<string> Knowledge { get; }

        /// <summary>A copy with another role.</summary>
        public Persona WithRole(string role) => new Persona(Name, role, Backstory, SpeakingStyle, Knowledge);

        /// <summary>A copy with another backstory.</summary>
        public Persona WithBackstory(string backstory) => new Persona(Name, Role, backstory, SpeakingStyle, Knowledge);

        /// <summary>A copy with another speaking style.</summary>
        public Persona WithSpeakingStyle(string style) => new Persona(Name, Role, Backstory, style, Knowledge);

        /// <summary>A copy with other knowledge.</summary>
        public Persona WithKnowledge(IEnumerable<string> knowledge) => new Persona(Name, Role, Backstory, SpeakingStyle, knowledge);

        /// <summary>
        /// The system text for the SteerLM prompt, in the second person the training data uses:
        /// "You are Marta Hollis, innkeeper of ... You speak ... You know: ...".
        /// </summary>
        public string ToSystemText()
        {
            var text = new StringBuilder(256);
            text.Append("You are ").Append(Name);
            if (Role.Length > 0)
            {
                text.Append(", ").Append(Role);
            }

            text.Append('.');
            AppendSentence(text, Backstory);
            if (SpeakingStyle.Length > 0)
            {
                AppendSentence(text, "Speaking style: " + SpeakingStyle);
            }

            if (Knowledge.Count > 0)
            {
                AppendSentence(text, "You know: " + string.Join("; ", Knowledge));
            }

            return text.ToString();
        }

        private static string Checked(string value, string field)
        {
            var token = SteerLMTemplate.FindControlToken(value);
            if (token != null)
            {
                throw new ArgumentException(
                    $"{field} contains the control token {token}; persona text must not (it becomes the prompt's system text, which the token would rewrite).",
                    field);
            }

            return value;
        }

        private static void AppendSentence(StringBuilder text, string sentence)
        {
            if (sentence.Length == 0)
            {
                return;
            }

            text.Append(' ').Append(sentence.Replace("\r\n", " ").Replace('\n', ' '));
            var last = sentence[sentence.Length - 1];
            if (last != '.' && last != '!' && last != '?')
            {
                text.Append('.');
            }
        }
    }
}
