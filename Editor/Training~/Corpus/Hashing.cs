using System;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;

namespace SteerLM.Npc.Training.Corpus
{
    /// <summary>SHA-256 of files, in lower-case hexadecimal as <c>sha256sum</c> prints it.</summary>
    internal static class Hashing
    {
        public static string Sha256File(string path)
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexString(SHA256.HashData(stream)).ToLower(CultureInfo.InvariantCulture);
        }
    }
}
