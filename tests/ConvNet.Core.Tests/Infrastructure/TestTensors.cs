using System;

namespace ConvNet.Core.Tests.Infrastructure;

/// <summary>Random test tensors.</summary>
internal static class TestTensors
{
    /// <summary>A tensor of the given shape with values uniform in [−1, 1).</summary>
    public static Tensor Uniform(Random r, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)((r.NextDouble() * 2) - 1);
        }

        return t;
    }
}
