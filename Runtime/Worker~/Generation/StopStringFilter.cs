using System;
using System.Collections.Generic;
using System.Text;

namespace SteerLM.Npc.Worker.Generation
{
    /// <summary>
    /// Streams generated text while watching for stop strings: text that could still turn out to be the start of a
    /// stop string is held back until it cannot, so a streamed reply never shows part of a stop string.
    /// </summary>
    internal sealed class StopStringFilter
    {
        private readonly IReadOnlyList<string> _stops;
        private readonly StringBuilder _text = new StringBuilder();
        private int _emitted;

        public StopStringFilter(IReadOnlyList<string> stops) => _stops = stops;

        /// <summary>The reply so far, up to (not including) a stop string once one is found.</summary>
        public string Text => _text.ToString();

        /// <summary>Whether a stop string has appeared.</summary>
        public bool Stopped { get; private set; }

        /// <summary>Adds decoded text; returns what may be shown now (possibly empty).</summary>
        public string Push(string piece)
        {
            if (Stopped || piece.Length == 0)
            {
                return "";
            }

            _text.Append(piece);
            if (_stops.Count == 0)
            {
                return Release(_text.Length);
            }

            var all = _text.ToString();
            var searchFrom = Math.Max(0, _emitted - MaxStopLength());
            var cut = -1;
            foreach (var stop in _stops)
            {
                var at = all.IndexOf(stop, searchFrom, StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut))
                {
                    cut = at;
                }
            }

            if (cut >= 0)
            {
                Stopped = true;
                _text.Length = cut;
                return Release(cut);
            }

            return Release(all.Length - HeldBack(all));
        }

        /// <summary>Everything not yet shown (at the end of generation).</summary>
        public string Flush() => Release(_text.Length);

        private string Release(int upTo)
        {
            if (upTo <= _emitted)
            {
                return "";
            }

            var piece = _text.ToString(_emitted, upTo - _emitted);
            _emitted = upTo;
            return piece;
        }

        /// <summary>Length of the longest suffix of the text that is a proper prefix of some stop string.</summary>
        private int HeldBack(string all)
        {
            var longest = 0;
            foreach (var stop in _stops)
            {
                for (var length = Math.Min(stop.Length - 1, all.Length); length > longest; length--)
                {
                    if (string.CompareOrdinal(all, all.Length - length, stop, 0, length) == 0)
                    {
                        longest = length;
                        break;
                    }
                }
            }

            return longest;
        }

        private int MaxStopLength()
        {
            var max = 0;
            foreach (var stop in _stops)
            {
                max = Math.Max(max, stop.Length);
            }

            return max;
        }
    }
}
