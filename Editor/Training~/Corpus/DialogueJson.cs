using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>
    /// Writes a <see cref="DialoguePair"/> as one JSON Lines record in the seed data's layout, without labels:
    /// <c>{"id":"wesnoth-1","character":"Deoran","system":"...","turns":[{"role":"user","text":"..."},{"role":"assistant","text":"..."}],"source":"wesnoth-1.16-tsg"}</c>.
    /// </summary>
    internal static class DialogueJson
    {
        private static readonly JsonWriterOptions Options = new JsonWriterOptions
        {
            // Keep apostrophes and non-ASCII letters readable; JSON stays valid (quotes, backslashes, controls escaped).
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Indented = false,
        };

        /// <summary>The record for <paramref name="pair"/>, numbered <paramref name="number"/> within <paramref name="source"/>.</summary>
        public static string Format(string source, int number, DialoguePair pair)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, Options))
            {
                writer.WriteStartObject();
                writer.WriteString("id", $"{source}-{number}");
                writer.WriteString("character", pair.Character);
                writer.WriteString("system", pair.System);
                writer.WriteStartArray("turns");
                WriteTurn(writer, "user", pair.User);
                WriteTurn(writer, "assistant", pair.Assistant);
                writer.WriteEndArray();
                writer.WriteString("source", pair.Package);
                writer.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        private static void WriteTurn(Utf8JsonWriter writer, string role, string text)
        {
            writer.WriteStartObject();
            writer.WriteString("role", role);
            writer.WriteString("text", text);
            writer.WriteEndObject();
        }
    }
}
