using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace SteerLM.Npc.Training.Cli
{
    /// <summary>
    /// A small, strict parser for a stage's options: <c>--name value</c> or <c>--name=value</c> for options,
    /// <c>--name</c> for flags. Anything it does not know (an unknown option, a positional argument, an option given
    /// twice, an option without its value) is a <see cref="UsageException"/> that names the offending argument.
    /// </summary>
    internal sealed class ArgumentParser
    {
        private readonly string _usage;
        private readonly List<OptionSpec> _options = new List<OptionSpec>();

        /// <param name="usage">The usage line, e.g. <c>corpus --cache DIR [--sources a,b]</c>.</param>
        public ArgumentParser(string usage)
        {
            _usage = usage;
        }

        /// <summary>Declares an option that takes a value.</summary>
        public ArgumentParser Option(string name, string valueName, string help)
        {
            Add(new OptionSpec(name, valueName, help));
            return this;
        }

        /// <summary>Declares a flag (an option without a value).</summary>
        public ArgumentParser Flag(string name, string help)
        {
            Add(new OptionSpec(name, null, help));
            return this;
        }

        /// <summary>Parses <paramref name="args"/>. <c>--help</c> and <c>-h</c> are always accepted.</summary>
        public ParsedArguments Parse(IReadOnlyList<string> args)
        {
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            var help = false;
            for (var i = 0; i < args.Count; i++)
            {
                var arg = args[i];
                if (arg == "--help" || arg == "-h")
                {
                    help = true;
                    continue;
                }

                if (!arg.StartsWith("-", StringComparison.Ordinal) || arg == "-" || arg == "--")
                {
                    throw new UsageException($"unexpected argument '{arg}'.");
                }

                var equals = arg.IndexOf('=');
                var name = equals >= 0 ? arg.Substring(0, equals) : arg;
                var spec = _options.FirstOrDefault(o => o.Name == name)
                    ?? throw new UsageException($"unknown option '{name}'.");
                if (values.ContainsKey(name))
                {
                    throw new UsageException($"option '{name}' is given more than once.");
                }

                if (spec.ValueName == null)
                {
                    if (equals >= 0)
                    {
                        throw new UsageException($"option '{name}' takes no value.");
                    }

                    values[name] = null;
                    continue;
                }

                string value;
                if (equals >= 0)
                {
                    value = arg.Substring(equals + 1);
                }
                else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"option '{name}' needs a value ({spec.ValueName}).");
                }

                if (value.Length == 0)
                {
                    throw new UsageException($"option '{name}' needs a value ({spec.ValueName}), not an empty string.");
                }

                values[name] = value;
            }

            return new ParsedArguments(values, help);
        }

        /// <summary>Writes the usage line and one line per option.</summary>
        public void WriteHelp(TextWriter writer)
        {
            writer.WriteLine("usage: " + _usage);
            if (_options.Count == 0)
            {
                return;
            }

            writer.WriteLine();
            writer.WriteLine("options:");
            var labels = _options.Select(o => o.ValueName == null ? o.Name : o.Name + " " + o.ValueName).ToList();
            var width = labels.Max(l => l.Length);
            for (var i = 0; i < _options.Count; i++)
            {
                writer.WriteLine($"  {labels[i].PadRight(width)}  {_options[i].Help}");
            }
        }

        private void Add(OptionSpec spec)
        {
            if (!spec.Name.StartsWith("--", StringComparison.Ordinal) || spec.Name.Contains('='))
            {
                throw new ArgumentException($"option names start with '--' and have no '=': '{spec.Name}'.", nameof(spec));
            }

            if (_options.Any(o => o.Name == spec.Name))
            {
                throw new ArgumentException($"option '{spec.Name}' is declared twice.", nameof(spec));
            }

            _options.Add(spec);
        }

        private sealed record OptionSpec(string Name, string? ValueName, string Help);
    }

    /// <summary>The options found by <see cref="ArgumentParser.Parse"/>.</summary>
    internal sealed class ParsedArguments
    {
        private readonly IReadOnlyDictionary<string, string?> _values;

        internal ParsedArguments(IReadOnlyDictionary<string, string?> values, bool helpRequested)
        {
            _values = values;
            HelpRequested = helpRequested;
        }

        /// <summary>True when <c>--help</c> or <c>-h</c> was given.</summary>
        public bool HelpRequested { get; }

        /// <summary>True when the option or flag was given.</summary>
        public bool Has(string name) => _values.ContainsKey(name);

        /// <summary>The option's value, or null when it was not given.</summary>
        public string? Value(string name) => _values.TryGetValue(name, out var value) ? value : null;

        /// <summary>The option's value as an integer of at least <paramref name="minimum"/>, or null when it was not given.</summary>
        public long? Int64(string name, long minimum)
        {
            var text = Value(name);
            if (text == null)
            {
                return null;
            }

            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
            {
                throw new UsageException($"option '{name}' needs a whole number of at least {minimum}, not '{text}'.");
            }

            return value;
        }

        /// <summary>The option's value split at commas (blank items are an error), or null when it was not given.</summary>
        public IReadOnlyList<string>? List(string name)
        {
            var text = Value(name);
            if (text == null)
            {
                return null;
            }

            var items = text.Split(',').Select(s => s.Trim()).ToList();
            if (items.Any(s => s.Length == 0))
            {
                throw new UsageException($"option '{name}' has an empty item in '{text}'.");
            }

            return items;
        }
    }
}
