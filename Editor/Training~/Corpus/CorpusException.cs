using System;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>A source could not be fetched or read. <see cref="Command"/> names the command that failed, if any.</summary>
    internal sealed class CorpusException : Exception
    {
        public CorpusException(string message, string? command = null)
            : base(message)
        {
            Command = command;
        }

        /// <summary>The command line that failed, as a person would type it, or null.</summary>
        public string? Command { get; }
    }
}
