using System;

namespace ConvNet.Layers;

/// <summary>
/// Shape inference of the convolution layers in 64-bit arithmetic: the architecture bounds checked when a layer is
/// built (dilated kernel within int, weights within an array, explicit padding at most k_e − 1 per side), and the output
/// shape for an input, with every padded length within int and every per-sample output within an array.
/// </summary>
internal static class ConvolutionShapes
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the parameter when the layer cannot be built.</summary>
    public static void CheckArchitecture(int spatialRank, int inChannels, int outChannels, ReadOnlySpan<int> kernel,
        ReadOnlySpan<int> dilation, Padding padding)
    {
        string layer = $"Conv{spatialRank}D";
        long weights = (long)outChannels * inChannels;
        for (int i = 0; i < spatialRank; i++)
        {
            // Each factor < 2^31 and the running product stays ≤ Array.MaxLength: no 64-bit overflow.
            weights *= kernel[i];
            if (weights > Array.MaxLength)
            {
                ThrowHelper.Argument("kernelSize", $"{layer}: {outChannels} x {inChannels} kernels of {ThrowHelper.Shape(kernel)} have more weights than an array can hold.");
            }
        }

        for (int i = 0; i < spatialRank; i++)
        {
            int ke = Padding.DilatedExtent(kernel[i], dilation[i], nameof(dilation));
            if (padding.Mode != PaddingMode.Explicit)
            {
                continue;
            }

            var (before, after) = padding.Amounts.Length == 1 ? padding.Amounts[0] : padding.Amounts[i];
            if (before > ke - 1 || after > ke - 1)
            {
                ThrowHelper.Argument(nameof(padding), $"{layer}: padding ({before}, {after}) along dimension {i} exceeds k_e − 1 = {ke - 1}, the Full padding of the dilated kernel {ke} (kernel {kernel[i]}, dilation {dilation[i]}); more would only add outputs that see nothing but zeros.");
            }
        }
    }

    /// <summary>
    /// The per-sample output [Q, out…] for a per-sample input [C, L…] whose rank and channel count are already checked;
    /// false with a message (without the layer's name) when the input does not fit.
    /// </summary>
    public static bool TryOutputShape(ReadOnlySpan<int> inputShape, int outChannels, ReadOnlySpan<int> kernel,
        ReadOnlySpan<int> stride, ReadOnlySpan<int> dilation, Padding padding, out int[] result, out string? error)
    {
        int rank = kernel.Length;
        result = new int[1 + rank];
        result[0] = outChannels;
        error = null;
        long count = outChannels;
        for (int i = 0; i < rank; i++)
        {
            int len = inputShape[1 + i];
            if (len <= 0)
            {
                error = $"every dimension must be positive; actual {ThrowHelper.Shape(inputShape)}.";
                return false;
            }

            var (before, after) = padding.Resolve(i, rank, len, kernel[i], stride[i], dilation[i]);
            int ke = Padding.DilatedExtent(kernel[i], dilation[i], nameof(dilation));
            long padded = (long)len + before + after;
            if (padded > int.MaxValue)
            {
                error = $"spatial size {len} padded by ({before}, {after}) along dimension {i} is {padded}, more than int holds (input {ThrowHelper.Shape(inputShape)}, padding {padding}).";
                return false;
            }

            if (padded < ke)
            {
                error = $"spatial size {len} (padded {padded}) along dimension {i} is smaller than the dilated kernel {ke} (input {ThrowHelper.Shape(inputShape)}, padding {padding}).";
                return false;
            }

            int o = (int)((padded - ke) / stride[i]) + 1;
            result[1 + i] = o;
            count *= o;
            if (count > Array.MaxLength)
            {
                error = $"the per-sample output for input {ThrowHelper.Shape(inputShape)} (padding {padding}) has more elements than an array can hold.";
                return false;
            }
        }

        return true;
    }
}
