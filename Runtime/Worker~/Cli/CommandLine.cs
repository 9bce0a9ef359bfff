using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SteerLM.Npc.Worker.Cli
{
    /// <summary>A command-line mistake: printed as one line, exit code 2.</summary>
    internal sealed class UsageException : Exception
    {
        public UsageException(string message) : base(message)
        {
        }
    }

    /// <summary>
    /// Strict <c>--name value</c> / <c>--flag</c> parsing: an unknown option, a missing value or a value of the wrong type
    /// is an error naming the option.
    /// </summary>
    internal sealed class CommandLine
    {
        private readonly Dictionary<string, string?> _values = new Dictionary<string, string?>(StringComparer.Ordinal);
        private readonly HashSet<string> _used = new HashSet<string>(StringComparer.Ordinal);
        private readonly string _command;

        public CommandLine(string command, IReadOnlyList<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
        {
            _command = command;
            for (var i = 0; i < args.Count; i++)
            {
                var arg = args[i];
                if (!arg.StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{command}: unexpected argument '{arg}' (options start with --).");
                }

                var name = arg.Substring(2);
                string? value = null;
                var equals = name.IndexOf('=');
                if (equals >= 0)
                {
                    value = name.Substring(equals + 1);
                    name = name.Substring(0, equals);
                }

                if (flags.Contains(name))
                {
                    if (value != null)
                    {
                        throw new UsageException($"{command}: --{name} takes no value.");
                    }
                }
                else if (options.Contains(name))
                {
                    if (value == null)
                    {
                        if (i + 1 >= args.Count)
                        {
                            throw new UsageException($"{command}: --{name} needs a value.");
                        }

                        value = args[++i];
                    }
                }
                else
                {
                    var known = options.Concat(flags).OrderBy(o => o, StringComparer.Ordinal).Select(o => "--" + o);
                    throw new UsageException($"{command}: unknown option --{name}; it takes {string.Join(", ", known)}.");
                }

                if (_values.ContainsKey(name))
                {
                    throw new UsageException($"{command}: --{name} is given twice.");
                }

                _values[name] = value;
            }
        }

        /// <summary>The command these options belong to, for error messages.</summary>
        public string Command => _command;

        public bool Flag(string name) => _values.ContainsKey(name);

        public string Required(string name) =>
            Optional(name) ?? throw new UsageException($"{_command}: --{name} is required.");

        public string? Optional(string name)
        {
            _used.Add(name);
            return _values.TryGetValue(name, out var v) ? v : null;
        }

        public int Int(string name, int fallback, int min, int max)
        {
            var text = Optional(name);
            if (text == null)
            {
                return fallback;
            }

            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                throw new UsageException($"{_command}: --{name} is '{text}', but it takes a whole number {min}..{max}.");
            }

            return value;
        }

        public float Float(string name, float fallback)
        {
            var text = Optional(name);
            if (text == null)
            {
                return fallback;
            }

            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || float.IsNaN(value) || float.IsInfinity(value))
            {
                throw new UsageException($"{_command}: --{name} is '{text}', but it takes a number.");
            }

            return value;
        }

        public ulong? ULong(string name)
        {
            var text = Optional(name);
            if (text == null)
            {
                return null;
            }

            if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw new UsageException($"{_command}: --{name} is '{text}', but it takes a whole number 0 or more.");
            }

            return value;
        }

        public int[] IntList(string name, int[] fallback, int min, int max)
        {
            var text = Optional(name);
            if (text == null)
            {
                return fallback;
            }

            var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var values = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] < min || values[i] > max)
                {
                    throw new UsageException($"{_command}: --{name} has '{parts[i]}', but it takes whole numbers {min}..{max} separated by commas.");
                }
            }

            if (values.Length == 0)
            {
                throw new UsageException($"{_command}: --{name} is empty.");
            }

            return values;
        }
    }
}
