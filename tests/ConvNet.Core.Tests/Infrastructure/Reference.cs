using System;

namespace ConvNet.Core.Tests.Infrastructure;

/// <summary>
/// Plain double-precision transcriptions of the lecture's formulas, kept deliberately naive: the fast paths are checked
/// against these.
/// </summary>
public static class Reference
{
    /// <summary>Full N-d convolution (rank 1..3): full[j] = Σ_k f[j − k] g[k].</summary>
    public static double[] ConvolveFull(float[] f, int[] fs, float[] g, int[] gs, out int[] outShape)
    {
        int r = fs.Length;
        int[] F = Pad(fs), G = Pad(gs);
        int[] O = [F[0] + G[0] - 1, F[1] + G[1] - 1, F[2] + G[2] - 1];
        var o = new double[O[0] * O[1] * O[2]];
        for (int a = 0; a < F[0]; a++)
        {
            for (int b = 0; b < F[1]; b++)
            {
                for (int c = 0; c < F[2]; c++)
                {
                    for (int i = 0; i < G[0]; i++)
                    {
                        for (int j = 0; j < G[1]; j++)
                        {
                            for (int k = 0; k < G[2]; k++)
                            {
                                o[((((a + i) * O[1]) + b + j) * O[2]) + c + k] += (double)f[(((a * F[1]) + b) * F[2]) + c] * g[(((i * G[1]) + j) * G[2]) + k];
                            }
                        }
                    }
                }
            }
        }

        outShape = O[(3 - r)..];
        return o;
    }

    /// <summary>Cut a mode's window out of the full result, scipy conventions.</summary>
    public static double[] Convolve(float[] f, int[] fs, float[] g, int[] gs, string mode, out int[] outShape, bool matlab = false)
    {
        var full = ConvolveFull(f, fs, g, gs, out var fullShape);
        int r = fs.Length;
        bool swap = mode == "valid" && Array.TrueForAll(Range(r), i => gs[i] >= fs[i]) && !Array.TrueForAll(Range(r), i => fs[i] >= gs[i]);
        var start = new int[r];
        outShape = new int[r];
        for (int i = 0; i < r; i++)
        {
            (outShape[i], start[i]) = mode switch
            {
                "full" => (fs[i] + gs[i] - 1, 0),
                "same" => (fs[i], matlab ? gs[i] / 2 : (gs[i] - 1) / 2),
                _ => swap ? (gs[i] - fs[i] + 1, fs[i] - 1) : (fs[i] - gs[i] + 1, gs[i] - 1),
            };
        }

        return Cut(full, fullShape, outShape, start);
    }

    /// <summary>Correlation as the lecture defines it: f * rot180(g) (flip every axis of g).</summary>
    public static double[] Correlate(float[] f, int[] fs, float[] g, int[] gs, string mode, out int[] outShape)
    {
        var flipped = (float[])g.Clone();
        Array.Reverse(flipped);
        // With a larger kernel in 'valid', scipy swaps the inputs of this convolution: the cut handles it.
        return Convolve(f, fs, flipped, gs, mode, out outShape);
    }

    public static double[] Cut(double[] full, int[] fullShape, int[] outShape, int[] start)
    {
        int[] FS = Pad(fullShape), OS = Pad(outShape), ST = PadZero(start);
        var o = new double[OS[0] * OS[1] * OS[2]];
        for (int a = 0; a < OS[0]; a++)
        {
            for (int b = 0; b < OS[1]; b++)
            {
                for (int c = 0; c < OS[2]; c++)
                {
                    o[(((a * OS[1]) + b) * OS[2]) + c] = full[((((a + ST[0]) * FS[1]) + b + ST[1]) * FS[2]) + c + ST[2]];
                }
            }
        }

        return o;
    }

    private static int[] Range(int n)
    {
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            r[i] = i;
        }

        return r;
    }

    private static int[] Pad(int[] s) => s.Length switch
    {
        1 => [1, 1, s[0]],
        2 => [1, s[0], s[1]],
        _ => [s[0], s[1], s[2]],
    };

    private static int[] PadZero(int[] s) => s.Length switch
    {
        1 => [0, 0, s[0]],
        2 => [0, s[0], s[1]],
        _ => [s[0], s[1], s[2]],
    };

    public static float[] Random(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        }

        return a;
    }
}
