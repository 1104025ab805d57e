using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;

namespace ConvNet;

/// <summary>Validation helpers that keep throw sites out of hot loops and messages consistent.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void OutOfRange(string paramName, object? actual, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actual, message);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void InvalidData(string message) => throw new InvalidDataException(message);

    public static void NotNull([NotNull] object? value, string paramName)
    {
        if (value is null)
        {
            throw new ArgumentNullException(paramName);
        }
    }

    public static void Positive(int value, string paramName)
    {
        if (value <= 0)
        {
            OutOfRange(paramName, value, $"{paramName} must be positive; actual {value}.");
        }
    }

    public static void NonNegative(int value, string paramName)
    {
        if (value < 0)
        {
            OutOfRange(paramName, value, $"{paramName} must be non-negative; actual {value}.");
        }
    }

    public static void Finite(double value, string paramName)
    {
        if (!double.IsFinite(value))
        {
            OutOfRange(paramName, value, $"{paramName} must be a finite number; actual {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    public static void FiniteNonNegative(double value, string paramName)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            OutOfRange(paramName, value, $"{paramName} must be finite and >= 0; actual {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    public static void FinitePositive(double value, string paramName)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            OutOfRange(paramName, value, $"{paramName} must be finite and > 0; actual {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    public static string Shape(ReadOnlySpan<int> shape)
    {
        var sb = new System.Text.StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return sb.Append(']').ToString();
    }
}
