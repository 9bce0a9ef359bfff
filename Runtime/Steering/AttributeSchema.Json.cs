#nullable enable

using System;
using System.Collections.Generic;
using System.IO;
using SteerLM.Npc.Internal;

namespace SteerLM.Npc.Steering
{
    public sealed partial class AttributeSchema
    {
        /// <summary>The keys an attribute object may have in <c>attributes.json</c>.</summary>
        private static readonly string[] AttributeKeys = { "name", "min", "max", "default", "description", "levels" };

        /// <summary>Writes the schema as indented JSON (the <c>attributes.json</c> of a model directory).</summary>
        public string ToJson()
        {
            var w = new Json.Writer().BeginObject().String("id", Id).BeginArray("attributes");
            foreach (var a in _attributes)
            {
                w.BeginObject()
                    .String("name", a.Name)
                    .Number("min", a.Minimum)
                    .Number("max", a.Maximum)
                    .Number("default", a.Default)
                    .String("description", a.Description)
                    .BeginArray("levels");
                foreach (var level in a.Levels)
                {
                    w.String(null, level);
                }

                w.EndArray().EndObject();
            }

            return w.EndArray().EndObject().ToString();
        }

        /// <summary>Reads a schema from JSON written by <see cref="ToJson"/>.</summary>
        /// <param name="json">The JSON text.</param>
        /// <param name="source">Where the text came from, for error messages (a file name).</param>
        /// <remarks>
        /// Each attribute must give <c>name</c>, <c>min</c>, <c>max</c> and <c>default</c>; <c>description</c> and
        /// <c>levels</c> are optional. Any other key is an error, so a misspelt key is never silently ignored.
        /// </remarks>
        /// <exception cref="FormatException">The JSON is malformed, or a field is missing, unknown, of the wrong type or out
        /// of range; the message names the field.</exception>
        public static AttributeSchema FromJson(string json, string source = "attribute schema")
        {
            var root = Json.ParseObject(json, source);
            var id = root.RequiredString("id");
            var items = root.OptionalArray("attributes");
            if (items.Length == 0)
            {
                throw root.Error("attributes", "must list at least one attribute.");
            }

            var list = new List<AttributeDefinition>(items.Length);
            for (var i = 0; i < items.Length; i++)
            {
                var item = root.ElementAsObject("attributes", items, i);
                foreach (var key in item.Keys)
                {
                    if (Array.IndexOf(AttributeKeys, key) < 0)
                    {
                        throw item.Error(key, $"is not an attribute field; the fields are: {string.Join(", ", AttributeKeys)}.");
                    }
                }

                var name = item.RequiredString("name");
                var min = item.RequiredInt32("min");
                var max = item.RequiredInt32("max");
                var defaultValue = item.RequiredInt32("default");
                var levelsJson = item.OptionalArray("levels");
                var levels = new string[levelsJson.Length];
                for (var l = 0; l < levels.Length; l++)
                {
                    levels[l] = item.ElementAsString("levels", levelsJson, l);
                }

                try
                {
                    list.Add(new AttributeDefinition(name, min, max, defaultValue, item.OptionalString("description"), levels));
                }
                catch (ArgumentException e)
                {
                    throw new FormatException($"{source}: attributes[{i}]: {e.Message}", e);
                }
            }

            try
            {
                return new AttributeSchema(id, list);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"{source}: {e.Message}", e);
            }
        }

        /// <summary>Reads a schema from a JSON file; errors name the file.</summary>
        public static AttributeSchema Load(string path)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Attribute schema file not found: {path}", path);
            }

            return FromJson(File.ReadAllText(path), path);
        }

        /// <summary>Writes the schema to a JSON file.</summary>
        public void Save(string path) => File.WriteAllText(path, ToJson());
    }
}
