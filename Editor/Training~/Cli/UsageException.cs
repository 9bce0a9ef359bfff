using System;

namespace SteerLM.Npc.Training.Cli
{
    /// <summary>A command-line mistake: an unknown option, a missing or malformed value. Exit code 2.</summary>
    internal sealed class UsageException : Exception
    {
        public UsageException(string message)
            : base(message)
        {
        }
    }
}
