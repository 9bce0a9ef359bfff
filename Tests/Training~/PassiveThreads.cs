using System.Runtime.CompilerServices;

namespace SteerLM.Npc.Training.Tests
{
    internal static class PassiveThreads
    {
        /// <summary>Runs before any test touches TorchSharp: OpenMP threads wait passively (see NativeThreading).</summary>
        [ModuleInitializer]
        internal static void Initialize() => SteerLM.Npc.Worker.NativeThreading.PreferPassiveWaiting();
    }
}
