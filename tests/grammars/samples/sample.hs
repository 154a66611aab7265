-- | Inventory model: the Haskell sample for the grammar tests.
module Inventory
  ( Item (..)
  , Priced (..)
  , load
  ) where

import Data.List (sortOn, intercalate)
import qualified Data.Map.Strict as Map
import Data.Maybe
import Text.Printf (printf)
import Prelude hiding (lookup)

-- | The most items a shelf holds.
maxItems :: Int
maxItems = 100

-- | One thing in the inventory.
data Item = Item
  { itemName  :: String
  , itemPrice :: Double
  } deriving (Show, Eq)

data Category = Food | Tool
  deriving (Show)

newtype ItemId = ItemId Int

type Registry = Map.Map String Item

-- | Anything with a price.
class Priced a where
  total :: a -> Int -> Double

instance Priced Item where
  total item quantity = itemPrice item * fromIntegral (max quantity 0)

-- | Reads items from lines of text.
load :: String -> [Item]
load text = mapMaybe parse (lines text)
  where
    parse line = case break (== ',') line of
      (name, ',' : price) -> Just (Item name (read price))
      _ -> Nothing

describe :: Item -> String
describe item = printf "%s: %.2f" (itemName item) (itemPrice item)

summary :: [Item] -> String
summary = intercalate "\n" . map describe . sortOn itemName
