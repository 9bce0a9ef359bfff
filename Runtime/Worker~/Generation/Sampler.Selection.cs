using System;

namespace SteerLM.Npc.Worker.Generation
{
    // Choosing the candidates without sorting the vocabulary. Every comparison uses one total order, higher score
    // first and the lower id on a tie, so the candidates never depend on anything but the scores.
    public sealed partial class Sampler
    {
        /// <summary>a comes before b: a higher score, or the same score and a lower id.</summary>
        private static bool Precedes(ReadOnlySpan<float> scores, int a, int b) =>
            scores[a] > scores[b] || (scores[a] == scores[b] && a < b);

        /// <summary>
        /// Writes the <paramref name="k"/> best ids into <paramref name="best"/>, best first, and returns k. One scan with a
        /// k-entry min-heap whose root is the worst kept id: O(V) when, as usual, few ids beat it, O(V log k) at worst.
        /// </summary>
        internal static int SelectTopK(ReadOnlySpan<float> scores, int k, Span<int> best)
        {
            Span<int> heap = best[..k];
            for (int id = 0; id < k; id++)
            {
                heap[id] = id;
                SiftUpWorstFirst(scores, heap, id);
            }

            float worst = scores[heap[0]];
            for (int id = k; id < scores.Length; id++)
            {
                // Ids come in increasing order, so an equal score never beats the kept one (it has a lower id).
                if (scores[id] > worst)
                {
                    heap[0] = id;
                    SiftDownWorstFirst(scores, heap, 0, k);
                    worst = scores[heap[0]];
                }
            }

            // Heap sort in place: taking the worst off each time fills the span from the back, leaving it best first.
            for (int size = k - 1; size > 0; size--)
            {
                (heap[0], heap[size]) = (heap[size], heap[0]);
                SiftDownWorstFirst(scores, heap, 0, size);
            }

            return k;
        }

        private static void SiftUpWorstFirst(ReadOnlySpan<float> scores, Span<int> heap, int index)
        {
            int item = heap[index];
            while (index > 0)
            {
                int parent = (index - 1) / 2;
                if (!Precedes(scores, heap[parent], item))
                {
                    break;
                }

                heap[index] = heap[parent];
                index = parent;
            }

            heap[index] = item;
        }

        private static void SiftDownWorstFirst(ReadOnlySpan<float> scores, Span<int> heap, int index, int size)
        {
            int item = heap[index];
            while (true)
            {
                int child = (2 * index) + 1;
                if (child >= size)
                {
                    break;
                }

                if (child + 1 < size && Precedes(scores, heap[child], heap[child + 1]))
                {
                    child++;
                }

                if (!Precedes(scores, item, heap[child]))
                {
                    break;
                }

                heap[index] = heap[child];
                index = child;
            }

            heap[index] = item;
        }

        /// <summary>
        /// Finds the nucleus: the fewest most-likely ids whose weights add up to <paramref name="threshold"/>. A
        /// quickselect that partitions <paramref name="order"/> around a pivot and keeps the left part whole when
        /// it does not reach the threshold, O(V) expected. Returns how many ids, at the front of
        /// <paramref name="order"/> in partition order, are kept, and their total weight.
        /// </summary>
        internal static int SelectNucleus(ReadOnlySpan<float> scores, ReadOnlySpan<double> weights, double threshold, Span<int> order, out double keptMass)
        {
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            // Invariant: order[..lo] is in the nucleus with weight `kept` < threshold; the boundary lies in [lo, hi].
            int lo = 0;
            int hi = order.Length;
            double kept = 0;
            while (lo < hi)
            {
                int pivot = Partition(scores, order, lo, hi);
                double before = 0;
                for (int i = lo; i < pivot; i++)
                {
                    before += weights[order[i]];
                }

                if (pivot > lo && kept + before >= threshold)
                {
                    hi = pivot; // the boundary is among the ids ahead of the pivot
                    continue;
                }

                kept += before + weights[order[pivot]];
                lo = pivot + 1;
                if (kept >= threshold)
                {
                    break;
                }
            }

            keptMass = kept;
            return Math.Max(lo, 1);
        }

        // Partitions order[lo..hi) around a median-of-three pivot; returns the pivot's final index, with every id
        // that precedes it in front.
        private static int Partition(ReadOnlySpan<float> scores, Span<int> order, int lo, int hi)
        {
            int mid = lo + ((hi - lo) / 2);
            int last = hi - 1;
            if (Precedes(scores, order[mid], order[lo]))
            {
                (order[mid], order[lo]) = (order[lo], order[mid]);
            }

            if (Precedes(scores, order[last], order[lo]))
            {
                (order[last], order[lo]) = (order[lo], order[last]);
            }

            if (Precedes(scores, order[last], order[mid]))
            {
                (order[last], order[mid]) = (order[mid], order[last]);
            }

            // order[mid] is the median; park it at the end, sweep, then put it in place.
            (order[mid], order[last]) = (order[last], order[mid]);
            int pivotId = order[last];
            int store = lo;
            for (int i = lo; i < last; i++)
            {
                if (Precedes(scores, order[i], pivotId))
                {
                    (order[i], order[store]) = (order[store], order[i]);
                    store++;
                }
            }

            (order[store], order[last]) = (order[last], order[store]);
            return store;
        }
    }
}
