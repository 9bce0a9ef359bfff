using System;
using System.Collections.Generic;
using SteerLM.Npc.Characters;
using SteerLM.Npc.Steering;

namespace SteerLM.Npc.Samples.TavernConsole
{
    /// <summary>
    /// The tavern, without a model yet: the player's actions move each character's mood, game time lets it fade, and each
    /// step shows the attribute values and the SteerLM prompt the character would send to the worker.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            var showPrompts = Array.IndexOf(args, "--prompts") >= 0;
            var moods = new Dictionary<string, NpcMood>();
            foreach (var profile in Tavern.Characters)
            {
                moods[profile.Id] = new NpcMood(profile);
            }

            Console.WriteLine("The Crooked Lantern. Schema: " + AttributeSchemas.Npc);
            Console.WriteLine();
            Show("Evening. Everyone at rest.", moods, showPrompts, "Good evening!");

            moods["marta"].Greet();
            moods["bram"].Insult();
            moods["lys"].Threaten();
            Show("The player greets Marta, insults Bram and threatens Sister Lys.", moods, showPrompts, "What are you looking at?");

            moods["bram"].Insult();
            moods["lys"].Help();
            Show("The player insults Bram again and then helps Sister Lys with her pack.", moods, showPrompts, "Need a hand?");

            foreach (var mood in moods.Values)
            {
                mood.Advance(60);
            }

            Show("One game minute later.", moods, showPrompts, "Still here?");

            foreach (var mood in moods.Values)
            {
                mood.Advance(600);
            }

            Show("Ten game minutes later: the reactions have faded.", moods, showPrompts, "Goodnight.");
            Console.WriteLine("Bram's mood graph (Mermaid) starts:");
            var graph = moods["bram"].ToMermaid().Split('\n');
            for (var i = 0; i < Math.Min(6, graph.Length); i++)
            {
                Console.WriteLine("    " + graph[i]);
            }

            return 0;
        }

        private static void Show(string caption, Dictionary<string, NpcMood> moods, bool showPrompts, string playerLine)
        {
            Console.WriteLine("-- " + caption);
            foreach (var profile in Tavern.Characters)
            {
                var mood = moods[profile.Id];
                var values = AttributeMapper.Default.Map(profile, mood);
                Console.WriteLine($"   {profile.Persona.Name,-13} {mood.Current,-8} {mood.Intensity:0.00}  {values.ToAttributeString()}");
                if (showPrompts)
                {
                    var prompt = SteerLMTemplate.FormatPrompt(profile.Persona.ToSystemText(), new[] { PromptTurn.User(playerLine) }, values);
                    Console.WriteLine("      " + prompt.Replace("\n", "\n      "));
                }
            }

            Console.WriteLine();
        }
    }
}
