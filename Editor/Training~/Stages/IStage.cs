using System.Collections.Generic;

namespace SteerLM.Npc.Training.Stages
{
    /// <summary>
    /// One step of the training pipeline, run as <c>SteerLM.Npc.Training &lt;Name&gt; [options]</c>. Add a stage by writing a
    /// class in this folder and listing it in <see cref="Program.Stages"/>.
    /// </summary>
    internal interface IStage
    {
        /// <summary>The subcommand that runs this stage, e.g. <c>corpus</c>.</summary>
        string Name { get; }

        /// <summary>One line for the tool's usage text.</summary>
        string Description { get; }

        /// <summary>
        /// Runs the stage with the arguments that follow its name. Returns the process exit code: 0 for success,
        /// 1 for a failure. A command-line mistake throws <see cref="Cli.UsageException"/> (exit code 2).
        /// </summary>
        int Run(IReadOnlyList<string> args);
    }
}
