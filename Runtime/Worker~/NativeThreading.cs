using System;
using System.Runtime.InteropServices;

namespace SteerLM.Npc.Worker
{
    /// <summary>
    /// libtorch's OpenMP threads spin-wait between parallel regions by default. When the worker shares cores with anything
    /// else (a game, an editor, a second process), spinning threads keep descheduled ones from reaching each barrier, and
    /// every small operation stalls: measured on 2 shared cores, the tiny model decoded at 14 tokens/s spinning and at 515
    /// tokens/s waiting passively. Call <see cref="PreferPassiveWaiting"/> before the first TorchSharp call.
    /// </summary>
    public static class NativeThreading
    {
        [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
        private static extern int SetEnv(string name, string value, int overwrite);

        [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi)]
        private static extern IntPtr GetEnv(string name);

        /// <summary>
        /// Sets <c>OMP_WAIT_POLICY=PASSIVE</c> (GNU OpenMP) and <c>KMP_BLOCKTIME=0</c> (Intel OpenMP) in the native process
        /// environment, unless the user set them. .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not
        /// reach the native environment on Linux and macOS, so this calls libc's <c>setenv</c>; on Windows the Win32
        /// environment is the process's own. Must run before libtorch is loaded; later calls have no effect.
        /// </summary>
        public static void PreferPassiveWaiting()
        {
            Set("OMP_WAIT_POLICY", "PASSIVE");
            Set("KMP_BLOCKTIME", "0");
        }

        private static void Set(string name, string value)
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                return;
            }

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                Environment.SetEnvironmentVariable(name, value);
                return;
            }

            try
            {
                if (GetEnv(name) == IntPtr.Zero)
                {
                    SetEnv(name, value, 0);
                }
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                // No libc by that name: leave OpenMP's defaults.
            }
        }
    }
}
