using System;
using System.IO;
using System.Runtime.CompilerServices;
using NUnit.Framework;
using SteerLM.Npc.Worker.Tokenization;

namespace SteerLM.Npc.Worker.Tests.Tokenization
{
    /// <summary>The tokenizer the worker ships (Runtime/Worker~/Assets/tokenizer.model), loaded once for all tests.</summary>
    internal static class ShippedTokenizer
    {
        private static readonly Lazy<NpcTokenizer> Shared = new Lazy<NpcTokenizer>(() => NpcTokenizer.Load(ModelPath));

        public static NpcTokenizer Instance => Shared.Value;

        /// <summary>The copy the worker project puts next to the test assembly, else the one in the source tree.</summary>
        public static string ModelPath
        {
            get
            {
                string besideTests = Path.Combine(TestContext.CurrentContext.TestDirectory, "tokenizer.model");
                return File.Exists(besideTests) ? besideTests : InSourceTree();
            }
        }

        private static string InSourceTree([CallerFilePath] string thisFile = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "..", "Runtime", "Worker~", "Assets", "tokenizer.model"));
    }
}
