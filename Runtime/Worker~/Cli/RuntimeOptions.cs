using System;
using SteerLM.Npc.Worker.Model;
using TorchSharp;

namespace SteerLM.Npc.Worker.Cli
{
    /// <summary>
    /// The options every model-running command shares: <c>--dtype</c> (float32 by default; bfloat16 is about 1.5x faster on
    /// CPUs with AVX512-BF16 or AMX and much slower on CPUs without) and <c>--threads</c> (TorchSharp's intra-op threads;
    /// all cores by default).
    /// </summary>
    internal static class RuntimeOptions
    {
        public static readonly string[] Names = { "dtype", "threads" };

        public static torch.ScalarType? Apply(CommandLine line)
        {
            var threads = line.Int("threads", 0, 0, 1024);
            if (threads > 0)
            {
                torch.set_num_threads(threads);
            }

            var dtype = line.Optional("dtype");
            if (dtype == null || dtype == "auto")
            {
                return null;
            }

            try
            {
                return ScalarTypes.Parse(dtype);
            }
            catch (ArgumentException)
            {
                throw new UsageException($"{line.Command}: --dtype is '{dtype}'; it takes float32, bfloat16 or float16.");
            }
        }
    }
}
